//! What every guest adapter of plinth's `adapter` world shares, built from `wit/` alone:
//!
//! - the world's bindings, generated here once: the imports under [`plinth`], the export
//!   traits under [`exports`], and [`export!`] to export an adapter's type from its own
//!   crate (`guest_support::export!(MyAdapter);`);
//! - [`describe`], a capability error as a user reads it.
//!
//! wit-component drops the imports a component never calls, so an adapter that calls only
//! `log` still imports only `log`, though the bindings cover the whole world.

wit_bindgen::generate!({
    path: "../../../wit",
    world: "adapter",
    default_bindings_module: "guest_support",
    pub_export_macro: true,
});

use plinth::agent::types::CapError;

/// A capability error as the user reads it: its kind (the WIT `cap-error` case), then the
/// host's words.
pub fn describe(error: &CapError) -> String {
    let (kind, message) = match error {
        CapError::AccessDenied(m) => ("access-denied", m),
        CapError::NotFound(m) => ("not-found", m),
        CapError::Timeout(m) => ("timeout", m),
        CapError::Invalid(m) => ("invalid", m),
        CapError::Failed(m) => ("failed", m),
    };
    format!("{kind}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reads_as_its_kind_then_the_hosts_words() {
        let error = CapError::AccessDenied("not granted".into());
        assert_eq!(describe(&error), "access-denied: not granted");
    }
}
