//! An open terminal, in three parts that are used from different places: the output is
//! read by one pump, the input (keys and resizes) written by another, and the closer ends
//! the `tmux attach` client once either pump is done.

use std::pin::Pin;

use bollard::Docker;
use bollard::container::LogOutput;
use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::docker_client;
use super::error::TerminalError;
use super::size::TermSize;
use crate::limits::TERMINAL_CHUNK;

pub struct Terminal {
    /// The full name of the session attached to.
    pub session: String,
    pub output: TerminalOutput,
    pub input: TerminalInput,
    pub closer: TerminalCloser,
}

type DockerOutput = Pin<Box<dyn Stream<Item = Result<LogOutput, bollard::errors::Error>> + Send>>;

pub struct TerminalOutput(pub(super) Output);

pub(super) enum Output {
    Local(Pin<Box<dyn AsyncRead + Send>>),
    Docker(DockerOutput),
}

impl TerminalOutput {
    /// The next bytes the terminal printed, at most [`TERMINAL_CHUNK`] (a bit more from Docker,
    /// which frames its own); `None` once the client has ended (detached, or its session
    /// is gone).
    pub async fn next(&mut self) -> Option<Bytes> {
        match &mut self.0 {
            Output::Local(pty) => {
                let mut buf = vec![0; TERMINAL_CHUNK];
                // A pseudo-terminal whose other side closed reads EIO rather than EOF.
                match pty.read(&mut buf).await {
                    Ok(0) | Err(_) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some(Bytes::from(buf))
                    }
                }
            }
            // bollard hands a TTY exec's output on as it comes (only a chunk starting
            // with bytes 0-2 would be read as a stream header, which tmux never sends).
            Output::Docker(stream) => loop {
                match stream.next().await? {
                    Ok(LogOutput::Console { message })
                    | Ok(LogOutput::StdOut { message })
                    | Ok(LogOutput::StdErr { message }) => return Some(message),
                    Ok(LogOutput::StdIn { .. }) => {}
                    Err(err) => {
                        tracing::debug!(%err, "the terminal's exec stream ended");
                        return None;
                    }
                }
            },
        }
    }
}

pub struct TerminalInput(pub(super) Input);

pub(super) enum Input {
    Local(pty_process::OwnedWritePty),
    Docker {
        input: Pin<Box<dyn AsyncWrite + Send>>,
        docker: Docker,
        exec: String,
    },
}

impl TerminalInput {
    /// Types `bytes` into the terminal; waits while the terminal does not take them, so
    /// a caller that reads only after this returns holds back its own sender.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.0 {
            Input::Local(pty) => {
                pty.write_all(bytes).await?;
                pty.flush().await
            }
            Input::Docker { input, .. } => {
                input.write_all(bytes).await?;
                input.flush().await
            }
        }
    }

    /// Tells the `tmux attach` client its terminal's new size. The agent's window keeps
    /// its own size; only what this viewer sees of it changes.
    pub async fn resize(&mut self, size: TermSize) -> Result<(), TerminalError> {
        match &mut self.0 {
            Input::Local(pty) => Ok(pty.resize(pty_process::Size::new(size.rows, size.cols))?),
            Input::Docker { docker, exec, .. } => docker_client::resize(docker, exec, size).await,
        }
    }
}

pub struct TerminalCloser(pub(super) Option<Closer>);

pub(super) enum Closer {
    Local(tokio::process::Child),
    Docker(docker_client::Client),
}

impl TerminalCloser {
    /// Ends this viewer's `tmux attach` client (and only it) and waits for it to be gone.
    pub async fn close(mut self) {
        match self.0.take() {
            Some(Closer::Local(mut child)) => {
                // The client has no state worth a graceful exit; the tmux server drops a
                // client whose socket closes.
                let _ = child.kill().await;
            }
            Some(Closer::Docker(client)) => client.end().await,
            None => {}
        }
    }
}

impl Drop for TerminalCloser {
    /// A viewer whose task was cancelled before it could close: end the client anyway.
    fn drop(&mut self) {
        match self.0.take() {
            // Spawned with kill_on_drop: dropping the child kills it.
            Some(Closer::Local(child)) => drop(child),
            Some(Closer::Docker(client)) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(client.end());
                }
            }
            None => {}
        }
    }
}
