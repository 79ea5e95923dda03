//! Following a server's stream (`events --follow`, `ps --watch`) across its restarts.

use std::time::Instant;

use plinth_server::Home;

use crate::client::Client;
use crate::failure::{Failure, code};
use crate::limits::RECONNECT_FOR;
use crate::limits::RECONNECT_PAUSE;

/// Runs `follow` on the server of `home` until it fails for good: again after each end of
/// its connection, finding the server anew each time (a restarted one may listen on
/// another port), for up to [`RECONNECT_FOR`] while none answers. No server at the start
/// is an error at once.
pub async fn follow_server<F, Fut>(home: &Home, mut follow: F) -> Result<i32, Failure>
where
    F: FnMut(Client) -> Fut,
    Fut: std::future::Future<Output = Result<(), Failure>>,
{
    let mut first = Some(Client::connect(home)?);
    let mut gone_since = None;
    loop {
        let connected = first.take().map_or_else(|| Client::connect(home), Ok);
        let followed = match connected {
            Ok(client) => follow(client).await,
            Err(failure) => Err(failure),
        };
        keep_following(followed, &mut gone_since)?;
        tokio::time::sleep(RECONNECT_PAUSE).await;
    }
}

/// The reconnect policy of a follower, after one attempt (finding the server, then
/// following it) ended with `result`: `Ok` to try again after a pause, the failure to give
/// up with.
fn keep_following(
    result: Result<(), Failure>,
    gone_since: &mut Option<Instant>,
) -> Result<(), Failure> {
    match result {
        Ok(()) => {
            *gone_since = None;
            Ok(())
        }
        Err(failure) if failure.code == code::USAGE => {
            let since = *gone_since.get_or_insert_with(Instant::now);
            if since.elapsed() > RECONNECT_FOR {
                Err(failure)
            } else {
                Ok(())
            }
        }
        Err(failure) => Err(failure),
    }
}
