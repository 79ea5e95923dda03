//! Runs a command inside a container to completion through the exec API, with a time
//! limit, stdout and stderr kept apart.
//!
//! The limit is enforced inside the container by `timeout -s KILL`, which signals the
//! command's whole process group, so a timed-out command cannot leave children running;
//! the host only waits a little longer as a backstop. The capability traits are
//! synchronous, so [`block_on_docker`] runs Docker calls on a runtime of plinth's own.

use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::limits::DAEMON_ANSWER;
use crate::limits::EXEC_HOST_GRACE;
use crate::limits::EXEC_OUTPUT_CAP;
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecOptions, StartExecResults};
use futures::StreamExt;
use plinth_wasm::wit::{CapError, ExecOutput};
use tokio::io::AsyncWriteExt;

/// What `timeout` exits with when it cannot find or cannot run the command.
const NOT_FOUND: i64 = 127;
const NOT_EXECUTABLE: i64 = 126;
/// 128 + SIGKILL: how a process group killed by `timeout -s KILL` ends.
const KILLED: i64 = 137;

pub struct ExecSpec {
    pub command: Vec<String>,
    /// The user to run as, e.g. "agent".
    pub user: String,
    /// Working directory inside the container; the image's when `None`.
    pub workdir: Option<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// Runs `spec` in `container`. A non-zero exit is an `ExecOutput`; a container that is not
/// running is `Failed`, naming its state.
pub async fn exec(
    docker: &Docker,
    container: &str,
    spec: ExecSpec,
) -> Result<ExecOutput, CapError> {
    let Some(program) = spec.command.first().cloned() else {
        return Err(CapError::Invalid("the command is empty".into()));
    };
    if let Some((key, _)) = spec
        .env
        .iter()
        .find(|(k, _)| k.is_empty() || k.contains('='))
    {
        return Err(CapError::Invalid(format!("bad environment name {key:?}")));
    }
    let limit = spec.timeout.max(Duration::from_millis(1));
    let mut cmd = vec![
        "timeout".to_string(),
        "-s".into(),
        "KILL".into(),
        format!("{:.3}", limit.as_secs_f64()),
    ];
    cmd.extend(spec.command.iter().cloned());
    let options = CreateExecOptions {
        attach_stdin: Some(spec.stdin.is_some()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        tty: Some(false),
        env: Some(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        cmd: Some(cmd),
        user: Some(spec.user.clone()),
        working_dir: spec.workdir.clone(),
        ..Default::default()
    };
    let started = Instant::now();
    let created = match answered(docker.create_exec(container, options)).await? {
        Ok(created) => created,
        Err(e) => return Err(container_failure(docker, container, &e).await),
    };
    let start = StartExecOptions {
        detach: false,
        tty: false,
        output_capacity: None,
    };
    let (mut output, mut input) =
        match answered(docker.start_exec(&created.id, Some(start))).await? {
            Ok(StartExecResults::Attached { output, input }) => (output, input),
            Ok(StartExecResults::Detached) => {
                return Err(CapError::Failed("the exec detached unasked".into()));
            }
            Err(e) => return Err(container_failure(docker, container, &e).await),
        };
    // A separate writer, so a command that doesn't read its input can't block us; closing
    // our side is the command's end of input.
    let stdin = spec.stdin.clone();
    let writer = tokio::spawn(async move {
        if let Some(data) = stdin {
            let _ = input.write_all(&data).await;
        }
        let _ = input.shutdown().await;
    });
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let collect = async {
        while let Some(item) = output.next().await {
            match item {
                Ok(LogOutput::StdOut { message }) => keep(&mut stdout, &message),
                Ok(LogOutput::StdErr { message }) => keep(&mut stderr, &message),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    };
    let collected = tokio::time::timeout(limit + EXEC_HOST_GRACE, collect).await;
    writer.abort();
    let timed_out = || {
        CapError::Timeout(format!(
            "{program} ran longer than {} ms and was killed",
            limit.as_millis()
        ))
    };
    match collected {
        Err(_) => return Err(timed_out()),
        Ok(Err(e)) => return Err(container_failure(docker, container, &e).await),
        Ok(Ok(())) => {}
    }
    let inspected = docker
        .inspect_exec(&created.id)
        .await
        .map_err(|e| CapError::Failed(format!("cannot read the exit code of {program}: {e}")))?;
    let exit_code = inspected.exit_code.unwrap_or(-1);
    if exit_code == KILLED && started.elapsed() >= limit {
        return Err(timed_out());
    }
    let failed_to_run = String::from_utf8_lossy(&stderr).starts_with("timeout: failed to run");
    match exit_code {
        NOT_FOUND if failed_to_run => Err(CapError::NotFound(format!("{program}: not found"))),
        NOT_EXECUTABLE if failed_to_run => Err(CapError::AccessDenied(format!(
            "{program}: permission denied"
        ))),
        code => Ok(ExecOutput {
            exit_code: i32::try_from(code).unwrap_or(-1),
            stdout,
            stderr,
        }),
    }
}

/// `call`'s result, or a timeout when the daemon does not answer within [`DAEMON_ANSWER`].
async fn answered<T>(call: impl Future<Output = T>) -> Result<T, CapError> {
    tokio::time::timeout(DAEMON_ANSWER, call)
        .await
        .map_err(|_| {
            CapError::Timeout(format!(
                "Docker did not answer within {} s; is the daemon running?",
                DAEMON_ANSWER.as_secs()
            ))
        })
}

/// Runs `future` to completion from synchronous code, on a runtime of its own: callers
/// are adapter threads, and may even be inside another runtime, where blocking on that
/// runtime itself would panic. (The manager's `off_thread` goes the other way: it moves
/// synchronous work off an actor's thread, and that work often calls this.)
pub fn block_on_docker<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("plinth-docker")
            .enable_all()
            .build()
            .expect("cannot start the Docker runtime")
    });
    let (tx, rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        let _ = tx.send(future.await);
    });
    rx.recv().expect("the Docker runtime dropped a call")
}

/// Why a Docker call about `container` failed, in terms of the container: "is exited
/// (137)" says more than a 409 from the daemon.
pub async fn container_failure(
    docker: &Docker,
    container: &str,
    error: &bollard::errors::Error,
) -> CapError {
    match docker.inspect_container(container, None).await {
        Ok(info) => {
            let state = info.state.unwrap_or_default();
            if state.running == Some(true) {
                return CapError::Failed(format!("container {container}: {error}"));
            }
            let status = state
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "not running".into());
            let mut text = format!("container {container} is {status}");
            if let Some(code) = state.exit_code {
                text.push_str(&format!(" (exit code {code}"));
                if state.oom_killed == Some(true) {
                    text.push_str(", out of memory");
                }
                text.push(')');
            }
            CapError::Failed(text)
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => CapError::Failed(format!("container {container} is gone (removed)")),
        // No answer from the daemon at all: it is down or restarting, and the container
        // (with live-restore) is likely still there.
        Err(bollard::errors::Error::DockerResponseServerError { .. }) => {
            CapError::Failed(format!("container {container}: {error}"))
        }
        Err(_) => CapError::Failed(format!(
            "Docker does not answer, so container {container} cannot be reached until it is \
             back ({error})"
        )),
    }
}

fn keep(buf: &mut Vec<u8>, chunk: &[u8]) {
    buf.extend_from_slice(chunk);
    if buf.len() > EXEC_OUTPUT_CAP {
        buf.drain(..buf.len() - EXEC_OUTPUT_CAP);
    }
}
