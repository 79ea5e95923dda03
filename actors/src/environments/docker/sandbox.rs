//! A task's Docker container as an agent's sandbox: the `tmux` and `environment`
//! capabilities act inside it, through exec, as the agent user. tmux is driven exactly as
//! in unsafe local mode (the same command lines, through [`TmuxServer`]), on a socket of
//! plinth's own inside the container, so sessions outlive plinth and are found again by a
//! new sandbox for the same container.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use plinth_wasm::wit::{CapError, ExecOutput, ExecRequest, Signal};
use plinth_wasm::{EnvironmentCap, TmuxCap};

use super::client::{DockerClient, DockerError};
use super::exec::{ExecSpec, block_on_docker, exec};
use super::image::{AGENT_USER, WORKDIR};
use crate::agent_host::TaskSandbox;
use crate::sandbox::{DirResolver, TaskSessions, TmuxOutput, TmuxRunner, TmuxServer};

/// The agent's home in plinth's images.
pub const AGENT_HOME: &str = "/home/agent";
/// tmux's socket in the container; not the default one, so an agent's own tmux use
/// cannot collide with plinth's.
pub const TMUX_SOCKET: &str = "/tmp/plinth-tmux.sock";

/// A tmux call or a file access that takes longer than this is stuck.
const QUICK: Duration = Duration::from_secs(30);

/// Resolves a path the way the container sees it (symlinks included) and keeps it inside
/// the workdir or the home before touching it, in one exec so that nothing can change in
/// between. Arguments: "read" or "write", the path.
const FILE_SCRIPT: &str = r#"p=$(realpath -m -- "$2") || exit 90
case "$p" in /workspace|/workspace/*|/home/agent|/home/agent/*) ;; *) exit 91 ;; esac
if [ "$1" = read ]; then exec cat -- "$p"; fi
mkdir -p -- "$(dirname -- "$p")" && exec cat > "$p""#;
const UNRESOLVABLE: i32 = 90;
const OUTSIDE: i32 = 91;

pub struct DockerSandbox {
    container: String,
    docker: Docker,
    sessions: Arc<TaskSessions>,
}

/// Runs tmux in the container as the agent.
struct ContainerTmux {
    docker: Docker,
    container: String,
}

impl DockerSandbox {
    /// The sandbox of `task` in `container` (an id or a name), new or re-adopted. It gets
    /// its own connection to the daemon, made on the runtime its calls run on.
    pub fn new(
        client: &DockerClient,
        container: impl Into<String>,
        task: impl Into<String>,
    ) -> Result<Arc<Self>, DockerError> {
        let address = client.address().to_string();
        let client = block_on_docker(async move { DockerClient::connect_to(&address).await })?;
        let docker = client.api().clone();
        let container = container.into();
        let runner = ContainerTmux {
            docker: docker.clone(),
            container: container.clone(),
        };
        let tmux = TmuxServer::with_runner(TMUX_SOCKET, Arc::new(runner));
        let dir: DirResolver = Box::new(|workdir| Ok(PathBuf::from(Self::dir(workdir))));
        Ok(Arc::new(DockerSandbox {
            sessions: Arc::new(TaskSessions::new(task, tmux, dir)),
            container,
            docker,
        }))
    }

    pub fn container(&self) -> &str {
        &self.container
    }

    /// The task's tmux sessions (the `tmux` capability).
    pub fn sessions(&self) -> &TaskSessions {
        &self.sessions
    }

    /// Relative directories start at the workdir. Directories are not confined as files
    /// are: a command can `cd` anywhere in the container anyway.
    fn dir(workdir: Option<&str>) -> String {
        match workdir {
            None => WORKDIR.to_string(),
            Some(dir) if dir.starts_with('/') => dir.to_string(),
            Some(dir) => format!("{WORKDIR}/{dir}"),
        }
    }

    fn run(&self, spec: ExecSpec) -> Result<ExecOutput, CapError> {
        let docker = self.docker.clone();
        let container = self.container.clone();
        block_on_docker(async move { exec(&docker, &container, spec).await })
    }

    fn file(&self, mode: &str, path: &str, contents: Option<&[u8]>) -> Result<Vec<u8>, CapError> {
        if path.is_empty() {
            return Err(CapError::Invalid("empty path".into()));
        }
        let out = self.run(ExecSpec {
            command: ["sh", "-c", FILE_SCRIPT, "plinth-file", mode, path]
                .map(String::from)
                .to_vec(),
            user: AGENT_USER.into(),
            workdir: Some(WORKDIR.into()),
            env: Vec::new(),
            stdin: contents.map(<[u8]>::to_vec),
            timeout: QUICK,
        })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.exit_code {
            0 => Ok(out.stdout),
            OUTSIDE => Err(CapError::AccessDenied(format!(
                "{path} is outside the task's workdir and home"
            ))),
            UNRESOLVABLE => Err(CapError::Invalid(format!("{path}: {}", stderr.trim()))),
            _ if stderr.contains("No such file") => {
                Err(CapError::NotFound(format!("{path}: no such file")))
            }
            _ if stderr.contains("Permission denied") => {
                Err(CapError::AccessDenied(format!("{path}: permission denied")))
            }
            _ => Err(CapError::Failed(format!("{path}: {}", stderr.trim()))),
        }
    }

    /// Whether Docker says the container no longer runs. A daemon that does not answer
    /// (restarting, say) says nothing: with live-restore the container and its sessions
    /// are still there, and must not be reported as ended.
    fn gone(&self) -> bool {
        let docker = self.docker.clone();
        let container = self.container.clone();
        block_on_docker(async move {
            match tokio::time::timeout(QUICK, docker.inspect_container(&container, None)).await {
                Ok(Ok(info)) => !info.state.and_then(|s| s.running).unwrap_or(false),
                Ok(Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404,
                    ..
                })) => true,
                _ => false,
            }
        })
    }
}

impl TmuxRunner for ContainerTmux {
    fn run(
        &self,
        socket: &Path,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<TmuxOutput, CapError> {
        let mut command = vec![
            "tmux".to_string(),
            "-S".into(),
            socket.display().to_string(),
        ];
        command.extend(args.iter().cloned());
        let spec = ExecSpec {
            command,
            user: AGENT_USER.into(),
            workdir: Some(WORKDIR.into()),
            env: Vec::new(),
            stdin: stdin.map(<[u8]>::to_vec),
            timeout: QUICK,
        };
        let docker = self.docker.clone();
        let container = self.container.clone();
        let out = block_on_docker(async move { exec(&docker, &container, spec).await })?;
        Ok(TmuxOutput {
            success: out.exit_code == 0,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        })
    }
}

impl EnvironmentCap for DockerSandbox {
    fn exec(&self, request: ExecRequest) -> Result<ExecOutput, CapError> {
        let timeout = request.timeout();
        self.run(ExecSpec {
            command: request.command,
            user: AGENT_USER.into(),
            workdir: Some(Self::dir(request.workdir.as_deref())),
            env: request.env,
            stdin: request.stdin,
            timeout,
        })
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, CapError> {
        self.file("read", path, None)
    }

    fn write_file(&self, path: &str, contents: &[u8]) -> Result<(), CapError> {
        self.file("write", path, Some(contents)).map(|_| ())
    }
}

impl TaskSandbox for DockerSandbox {
    fn tmux(self: Arc<Self>) -> Arc<dyn TmuxCap> {
        self.sessions.clone()
    }

    fn environment(self: Arc<Self>) -> Arc<dyn EnvironmentCap> {
        self
    }

    fn poll(&self) -> Vec<Signal> {
        match self.sessions.poll() {
            Ok(signals) => signals,
            // The container is gone, and every program in it with it.
            Err(_) if self.gone() => self.sessions.all_gone(),
            // A passing hiccup, or the daemon away: the next tick asks again.
            Err(_) => Vec::new(),
        }
    }

    fn workdir(&self) -> String {
        WORKDIR.to_string()
    }

    fn home(&self) -> String {
        AGENT_HOME.to_string()
    }

    fn task_sessions(&self) -> &TaskSessions {
        &self.sessions
    }
}
