//! A valid component for a world that is not `plinth:agent/adapter` (see `wit/other.wit`),
//! for testing that the host refuses it with a clear error instead of failing obscurely.

wit_bindgen::generate!({ path: "wit", world: "other" });

pub struct Foreign;

impl Guest for Foreign {
    fn run() -> u32 {
        42
    }
}

// Exported only in the component: its export names are not symbols a host linker takes.
#[cfg(target_arch = "wasm32")]
export!(Foreign);
