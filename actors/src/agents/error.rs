use plinth_store::StoreError;
use plinth_wasm::{GuestError, InspectError, LoadError};

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Inspect(#[from] InspectError),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("the adapter's `info` export failed: {0}")]
    Info(GuestError),
    #[error(
        "{name:?} is not a valid agent name: use lowercase letters, digits and '-', at most 63 characters (choose one with --name)"
    )]
    BadName { name: String },
    #[error("an agent named {name:?} is already installed{}; remove it first or choose another --name", if *.builtin { " (built in)" } else { "" })]
    NameTaken { name: String, builtin: bool },
    #[error("no agent named {name:?}; installed: {}", known.join(", "))]
    NotFound { name: String, known: Vec<String> },
    #[error("{name:?} is built into plinth and cannot be removed")]
    BuiltinRemove { name: String },
    #[error(
        "the built-in adapter {name:?} was not built into this plinth binary: run scripts/build-adapters.sh, then rebuild plinth"
    )]
    BuiltinMissing { name: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the component file of {name:?} is missing or changed ({path}): add it again with `plinth agents add`"
    )]
    FileChanged { name: String, path: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}
