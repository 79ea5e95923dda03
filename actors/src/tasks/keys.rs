//! Per-task tokens: what a task's sandbox presents to plinth's hook endpoint and model
//! proxy instead of any real credential. Each is an HMAC of the task id under the server's
//! secret, so nothing needs storing, a token survives restarts, and one task's token says
//! nothing about another's or about the secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct TaskKeys {
    secret: Vec<u8>,
}

impl std::fmt::Debug for TaskKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskKeys(..)")
    }
}

impl TaskKeys {
    pub fn new(secret: impl Into<Vec<u8>>) -> Self {
        TaskKeys {
            secret: secret.into(),
        }
    }

    fn mac(&self, task: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC takes keys of any length");
        mac.update(b"plinth-task:");
        mac.update(task.as_bytes());
        mac
    }

    /// The token of `task`, as its sandbox gets it.
    pub fn token(&self, task: &str) -> String {
        format!(
            "plinth-task-{}",
            hex::encode(self.mac(task).finalize().into_bytes())
        )
    }

    /// Whether `candidate` is `task`'s token, compared in constant time.
    pub fn verify(&self, task: &str, candidate: &str) -> bool {
        let Some(digest) = candidate
            .strip_prefix("plinth-task-")
            .and_then(|h| hex::decode(h).ok())
        else {
            return false;
        };
        self.mac(task).verify_slice(&digest).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tasks_token_verifies_for_it_and_for_no_other_task_or_secret() {
        let keys = TaskKeys::new(b"secret".to_vec());
        let token = keys.token("fix-bug-1a2b");
        assert!(keys.verify("fix-bug-1a2b", &token));
        assert!(!keys.verify("fix-bug-1a2c", &token));
        assert!(!TaskKeys::new(b"other".to_vec()).verify("fix-bug-1a2b", &token));
        assert!(!keys.verify("fix-bug-1a2b", "plinth-task-zz"));
        assert!(!keys.verify("fix-bug-1a2b", ""));
        assert_eq!(token, keys.token("fix-bug-1a2b"), "stable across calls");
    }
}
