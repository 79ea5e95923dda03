//! The ProjectService's state: the store its records are in.

use plinth_kernel::Child;
use plinth_store::Store;

/// Registers and lists projects ([`super::protocol`] says how).
pub struct ProjectService {
    pub(super) store: Store,
}

impl ProjectService {
    pub fn new(store: Store) -> Self {
        ProjectService { store }
    }
}

impl Child for ProjectService {}
