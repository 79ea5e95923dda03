//! Which of the containers labelled as plinth's belong to this plinth home. Two homes
//! (two users, or a test next to a real install) can share one Docker daemon; each must
//! re-adopt and collect only its own, or `plinth gc` in one would remove the other's live
//! tasks. Containers carry the home they were made for in `plinth.home`; containers
//! without that label (made before it existed, or by hand) count as everyone's.

use std::collections::HashSet;
use std::path::Path;

use super::client::DockerClient;
use super::container::{self, ContainerError, TaskContainer};

pub const LABEL_HOME: &str = "plinth.home";

/// The value of [`LABEL_HOME`] for `home`: its canonical path when it exists, so the same
/// home reached two ways is one home.
pub fn home_label(home: &Path) -> String {
    home.canonicalize()
        .unwrap_or_else(|_| home.to_path_buf())
        .display()
        .to_string()
}

/// Containers labelled as plinth's that belong to `home`, optionally narrowed to those that
/// also carry `narrow` (`key` or `key=value`).
pub async fn find_mine(
    client: &DockerClient,
    home: &Path,
    narrow: Option<&str>,
) -> Result<Vec<TaskContainer>, ContainerError> {
    let all = match narrow {
        Some(label) => container::find_labelled(client, label).await?,
        None => container::find_ours(client).await?,
    };
    let homed: HashSet<String> = container::find_labelled(client, LABEL_HOME)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let label = format!("{LABEL_HOME}={}", home_label(home));
    let mine: HashSet<String> = container::find_labelled(client, &label)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    Ok(all
        .into_iter()
        .filter(|c| mine.contains(&c.id) || !homed.contains(&c.id))
        .collect())
}
