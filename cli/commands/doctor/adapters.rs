//! The adapters plinth ships, built into this binary.

use plinth_actors::builtin_adapters::{builtin_adapters, missing_builtins};

use super::check::Check;

pub(super) fn adapters_check() -> Check {
    let found: Vec<&str> = builtin_adapters().iter().map(|a| a.name).collect();
    let missing = missing_builtins();
    if missing.is_empty() {
        Check::ok("adapters", format!("built in: {}", found.join(", ")))
    } else {
        Check::fail(
            "adapters",
            format!(
                "not built into this plinth: {} (built in: {})",
                missing.join(", "),
                if found.is_empty() {
                    "none".to_string()
                } else {
                    found.join(", ")
                }
            ),
            "build them with `scripts/build-adapters.sh`, then rebuild plinth",
        )
    }
}
