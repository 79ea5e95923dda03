//! The viewer's `tmux attach` client inside the task's container: an exec with a TTY, as
//! the agent user, on plinth's tmux socket there.
//!
//! Docker does not end an exec's process when the connection to it closes, so the client
//! records its pid in a file first (`exec` keeps the pid); `docker_client` ends
//! the viewer by signalling that pid through a second, short exec.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use bollard::Docker;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};

use super::docker_client::{Client, resize};
use super::error::TerminalError;
use super::session::attach_command;
use super::size::TermSize;
use super::terminal::{
    Closer, Input, Output, Terminal, TerminalCloser, TerminalInput, TerminalOutput,
};
use crate::environments::docker::image::{AGENT_USER, WORKDIR};
use crate::environments::docker::sandbox::TMUX_SOCKET;

/// Writes the shell's pid to "$0", then becomes the tmux client (same pid).
const RECORD_PID_THEN_ATTACH: &str = r#"echo $$ > "$0" && exec "$@""#;

/// A pid file name no other viewer (of this or another plinth) uses.
fn pidfile() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "/tmp/plinth-terminal-{}-{}-{nanos}.pid",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Attaches to session `full` in `container`.
pub async fn open(
    docker: &Docker,
    container: &str,
    full: &str,
    size: TermSize,
) -> Result<Terminal, TerminalError> {
    let pidfile = pidfile();
    let mut cmd = vec![
        "sh".to_string(),
        "-c".into(),
        RECORD_PID_THEN_ATTACH.into(),
        pidfile.clone(),
    ];
    cmd.extend(attach_command(std::path::Path::new(TMUX_SOCKET), full));
    let options = CreateExecOptions {
        attach_stdin: Some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(true),
        env: Some(vec!["TERM=xterm-256color".to_string()]),
        cmd: Some(cmd),
        user: Some(AGENT_USER.to_string()),
        working_dir: Some(WORKDIR.to_string()),
        ..Default::default()
    };
    let created = docker.create_exec(container, options).await?;
    let start = StartExecOptions {
        detach: false,
        tty: true,
        output_capacity: Some(crate::limits::TERMINAL_CHUNK),
    };
    let client = Client {
        docker: docker.clone(),
        container: container.to_string(),
        pidfile,
    };
    let (output, input) = match docker.start_exec(&created.id, Some(start)).await {
        Ok(StartExecResults::Attached { output, input }) => (output, input),
        Ok(StartExecResults::Detached) => {
            return Err(TerminalError::BadRequest(
                "the terminal's exec detached unasked".into(),
            ));
        }
        Err(err) => {
            client.end().await;
            return Err(err.into());
        }
    };
    let closer = TerminalCloser(Some(Closer::Docker(client)));
    // A viewer whose size did not reach tmux still works (at 80x24): not worth failing.
    if let Err(err) = resize(docker, &created.id, size).await {
        tracing::debug!(%err, "cannot size a new terminal");
    }
    Ok(Terminal {
        session: full.to_string(),
        output: TerminalOutput(Output::Docker(output)),
        input: TerminalInput(Input::Docker {
            input,
            docker: docker.clone(),
            exec: created.id,
        }),
        closer,
    })
}
