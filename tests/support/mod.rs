//! The shared test kit, and the built adapters' components, which only this package's
//! tests know where to find.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

pub use plinth_testkit::*;

/// Where `scripts/build-adapters.sh` puts the built components.
pub fn adapters_dir() -> PathBuf {
    plinth_actors::builtin_adapters::adapters_dir().to_path_buf()
}

fn component(path: PathBuf) -> PathBuf {
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-adapters.sh first (scripts/test.sh does)",
        path.display()
    );
    path
}

/// A built-in adapter's component (`scripted`, `claude-code`).
pub fn adapter_component(name: &str) -> PathBuf {
    component(adapters_dir().join(format!("{name}.wasm")))
}

/// A test-only component (`probe`, `minimal`, `foreign`).
pub fn test_component(name: &str) -> PathBuf {
    component(adapters_dir().join("test").join(format!("{name}.wasm")))
}
