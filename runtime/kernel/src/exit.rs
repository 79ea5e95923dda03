//! Why an actor or supervisor stopped.

use std::any::Any;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "exit", content = "reason")]
pub enum Exit {
    /// It stopped itself with nothing wrong.
    Normal,
    /// Its supervisor (or the kernel) stopped it.
    Shutdown,
    /// It panicked, reported a failure, could not be built, or (a supervisor) gave up.
    Failed(String),
}

impl Exit {
    pub fn is_failure(&self) -> bool {
        matches!(self, Exit::Failed(_))
    }
}

/// The message a panic carried, when it carried text.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// `a::b::Message<c::D>` → `Message<D>`: what an operator wants to read.
pub fn short_type_name(full: &str) -> String {
    let mut out = String::with_capacity(full.len());
    let mut segment = String::new();
    for ch in full.chars() {
        match ch {
            '<' | '>' | ',' | ' ' | '(' | ')' | '[' | ']' | ';' | '&' => {
                out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
                segment.clear();
                out.push(ch);
            }
            _ => segment.push(ch),
        }
    }
    out.push_str(segment.rsplit("::").next().unwrap_or(&segment));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_payloads_become_text() {
        let r = std::panic::catch_unwind(|| panic!("static text"));
        assert_eq!(panic_message(r.unwrap_err().as_ref()), "static text");
        let n = 3;
        let r = std::panic::catch_unwind(|| panic!("formatted {n}"));
        assert_eq!(panic_message(r.unwrap_err().as_ref()), "formatted 3");
    }

    #[test]
    fn type_names_are_shortened_for_people() {
        assert_eq!(
            short_type_name("plinth_actors::projects::RegisterProject"),
            "RegisterProject"
        );
        assert_eq!(
            short_type_name("a::Wrap<b::c::Inner, u8>"),
            "Wrap<Inner, u8>"
        );
    }
}
