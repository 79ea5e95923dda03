//! The store of a home, for the commands that work on it without a server (`agents`, `gc`).

use plinth_server::Home;
use plinth_store::Store;

use crate::failure::{Failure, code};

/// Makes the home if it is missing and opens its store.
pub(super) fn open(home: &Home) -> Result<Store, Failure> {
    home.ensure().map_err(|err| {
        Failure::new(
            code::STORE,
            format!("cannot create {}: {err}", home.root().display()),
        )
    })?;
    Store::open(&home.database()).map_err(|err| Failure::new(code::STORE, err.to_string()))
}
