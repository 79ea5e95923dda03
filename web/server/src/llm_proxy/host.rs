//! What the proxy asks of the server it is mounted in: whether a task's token is valid,
//! and where a task's model-call events go.

use super::event::ProxyEvent;

/// Implemented by the server: the proxy knows nothing of tasks beyond their ids.
///
/// Both methods are called on the request's path (`event` for every piece of a streamed
/// reply), so they must return quickly: look the token up in memory, hand the event to a
/// channel or actor mailbox; never block on I/O.
pub trait ProxyHost: Send + Sync + 'static {
    /// `token` is what the sandbox presented (`x-api-key` or `Authorization: Bearer`) for
    /// the task in the URL. `false` answers 401 and nothing goes upstream.
    fn authorize(&self, task: &str, token: &str) -> bool;

    /// An event of one of the task's model calls; see [`ProxyEvent`] for the order.
    fn event(&self, task: &str, event: ProxyEvent);

    /// Whether the task may make a model call now; `Err` says why not, and the call is
    /// refused (403, in the API's shape) without going upstream or being reported as a
    /// call. Asked after the token is checked, before each model call.
    fn admit(&self, task: &str) -> Result<(), String> {
        let _ = task;
        Ok(())
    }
}

/// A host for the proxy's unit tests: every token is good, every call admitted, every
/// event kept in order.
#[cfg(test)]
#[derive(Default)]
pub struct Recorder(pub std::sync::Mutex<Vec<ProxyEvent>>);

#[cfg(test)]
impl ProxyHost for Recorder {
    fn authorize(&self, _: &str, _: &str) -> bool {
        true
    }
    fn event(&self, _: &str, event: ProxyEvent) {
        self.0.lock().unwrap().push(event);
    }
}
