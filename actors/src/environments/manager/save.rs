//! Storing an environment's change: its record and the event that tells of it go in
//! together, so a reader of the events never sees a change the record does not hold.

use plinth_store::{NewEvent, Store, StoreError, Versioned};

use crate::environments::record::{self, EnvironmentRecord, EnvironmentV1};

/// The environment's record and the event that tells of its change, in one transaction.
pub(super) async fn save(
    store: &Store,
    info: &EnvironmentV1,
    event: &str,
) -> Result<(), StoreError> {
    let event =
        NewEvent::new(event, serde_json::to_value(info).unwrap_or_default()).for_task(&info.task);
    store
        .put_state_and_append(
            &record::key(&info.task),
            &EnvironmentRecord::from_latest(info.clone()),
            vec![event],
        )
        .await?;
    Ok(())
}
