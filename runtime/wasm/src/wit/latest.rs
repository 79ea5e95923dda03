//! `plinth:agent@0.2.0`, from `wit/agent.wit`: the version built-in adapters are built
//! against, and the shapes the rest of plinth speaks.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "adapter",
});
