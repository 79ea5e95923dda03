//! The adapters plinth ships, embedded in the binary at build time (see `actors/build.rs`):
//! `scripted`, `claude-code`, `gemini` and `codex`, built from `actors/adapters/` by `scripts/build-adapters.sh`.
//! One not built when plinth was is listed by [`missing_builtins`] instead.

/// A built-in adapter's component.
#[derive(Clone, Copy)]
pub struct BuiltinAdapter {
    /// The name it is installed under ("scripted", "claude-code").
    pub name: &'static str,
    /// The WebAssembly component, as built.
    pub bytes: &'static [u8],
}

impl std::fmt::Debug for BuiltinAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuiltinAdapter")
            .field("name", &self.name)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

include!(concat!(env!("OUT_DIR"), "/builtin_adapters.rs"));

/// The built-in adapters found when plinth was built.
pub fn builtin_adapters() -> &'static [BuiltinAdapter] {
    FOUND
}

/// The built-in adapters that were not there to embed; `scripts/build-adapters.sh` builds them.
pub fn missing_builtins() -> &'static [&'static str] {
    MISSING
}

/// Where the built-ins were looked for when plinth was built: `$PLINTH_ADAPTERS_DIR`, or
/// `target/adapters` at the repository root. `scripts/build-adapters.sh` also puts the
/// test-only components (probe, minimal, foreign) in its `test/` directory.
pub fn adapters_dir() -> &'static std::path::Path {
    std::path::Path::new(env!("PLINTH_BUILTIN_ADAPTERS_DIR"))
}

/// The built-in adapter called `name`, if it was embedded.
pub fn builtin_adapter(name: &str) -> Option<&'static BuiltinAdapter> {
    FOUND.iter().find(|adapter| adapter.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The wasm magic and the component encoding's version and layer: a core module (or a
    /// truncated file) embedded by mistake fails here, not at install time.
    const COMPONENT_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00];

    #[test]
    fn every_builtin_is_either_embedded_or_reported_missing() {
        let mut names: Vec<&str> = builtin_adapters().iter().map(|a| a.name).collect();
        names.extend(missing_builtins());
        names.sort_unstable();
        assert_eq!(names, ["claude-code", "codex", "gemini", "scripted"]);
    }

    #[test]
    fn embedded_builtins_are_components() {
        for adapter in builtin_adapters() {
            assert!(
                adapter.bytes.starts_with(&COMPONENT_HEADER),
                "{} is not a WebAssembly component",
                adapter.name
            );
            assert_eq!(
                builtin_adapter(adapter.name).map(|a| a.name),
                Some(adapter.name)
            );
        }
        assert!(builtin_adapter("nosuch").is_none());
    }

    #[test]
    fn the_adapters_dir_is_absolute() {
        assert!(adapters_dir().is_absolute(), "{}", adapters_dir().display());
    }
}
