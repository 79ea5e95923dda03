//! `plinth:agent@0.1.0`, from `wit/v0.1/agent.wit` (frozen): what components built before
//! 0.2.0 import and export. The host links them interfaces that convert to the latest
//! shapes (`super::convert`) and answer with the same code.

wasmtime::component::bindgen!({
    path: "../../wit/v0.1",
    world: "adapter",
});
