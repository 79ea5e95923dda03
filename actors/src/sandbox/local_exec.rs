//! Runs a command on the host to completion with a time limit (unsafe local mode). The
//! command gets its own process group, so a timeout kills everything it started.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::limits::EXEC_OUTPUT_CAP;
use crate::limits::LOCAL_KILL_WAIT;
use plinth_wasm::wit::{CapError, ExecOutput};

pub struct ExecSpec<'a> {
    pub command: &'a [String],
    pub workdir: &'a Path,
    pub env: &'a [(String, String)],
    pub stdin: Option<&'a [u8]>,
    pub timeout: Duration,
}

pub fn exec(spec: ExecSpec<'_>) -> Result<ExecOutput, CapError> {
    let Some((program, args)) = spec.command.split_first() else {
        return Err(CapError::Invalid("the command is empty".into()));
    };
    // spawn() reports a missing working directory as the program not being found.
    if !spec.workdir.is_dir() {
        return Err(CapError::NotFound(format!(
            "the working directory {} does not exist",
            spec.workdir.display()
        )));
    }
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(spec.workdir)
        .env_clear()
        .envs(base_env())
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => CapError::NotFound(format!("{program}: not found")),
        std::io::ErrorKind::PermissionDenied => {
            CapError::AccessDenied(format!("{program}: permission denied"))
        }
        _ => CapError::Failed(format!("cannot run {program}: {e}")),
    })?;
    let pid = child.id() as i32;
    if let (Some(input), Some(mut pipe)) = (spec.stdin, child.stdin.take()) {
        let input = input.to_vec();
        // A separate writer, so a command that doesn't read its input can't block us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(child.wait());
    });
    match done_rx.recv_timeout(spec.timeout) {
        Ok(status) => {
            let status = status.map_err(|e| CapError::Failed(format!("wait: {e}")))?;
            Ok(ExecOutput {
                exit_code: exit_code(status),
                stdout: stdout.recv().unwrap_or_default(),
                stderr: stderr.recv().unwrap_or_default(),
            })
        }
        Err(_) => {
            // SAFETY: signalling the process group we created for this command.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
            let _ = done_rx.recv_timeout(LOCAL_KILL_WAIT);
            Err(CapError::Timeout(format!(
                "{program} ran longer than {} ms and was killed",
                spec.timeout.as_millis()
            )))
        }
    }
}

fn reader(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let mut chunk = [0u8; 16 * 1024];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..n]);
                if out.len() > EXEC_OUTPUT_CAP {
                    out.drain(..out.len() - EXEC_OUTPUT_CAP);
                }
            }
        }
        let _ = tx.send(out);
    });
    rx
}

fn exit_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    // A signal shows as 128 + its number, as shells report it.
    status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(-1)
}

/// What a command on the host starts with: enough to find programs and write text, and
/// nothing of plinth's own environment (its token, say).
fn base_env() -> Vec<(String, String)> {
    ["PATH", "HOME", "USER", "LANG", "TMPDIR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(command: &[&str], timeout_ms: u64) -> Result<ExecOutput, CapError> {
        let dir = std::env::temp_dir();
        let command: Vec<String> = command.iter().map(|s| s.to_string()).collect();
        exec(ExecSpec {
            command: &command,
            workdir: &dir,
            env: &[("GREETING".into(), "hi".into())],
            stdin: Some(b"from stdin"),
            timeout: Duration::from_millis(timeout_ms),
        })
    }

    #[test]
    fn output_exit_code_env_and_stdin_come_back() {
        let out = run(
            &["sh", "-c", "cat; echo \" $GREETING\"; echo err >&2; exit 3"],
            5000,
        )
        .unwrap();
        assert_eq!(out.exit_code, 3);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "from stdin hi\n");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "err\n");
    }

    #[test]
    fn a_command_past_its_timeout_is_killed_with_its_children() {
        let err = run(&["sh", "-c", "sleep 30 & sleep 30"], 200).unwrap_err();
        assert!(matches!(err, CapError::Timeout(_)), "{err:?}");
    }

    #[test]
    fn a_missing_program_is_not_found() {
        let err = run(&["no-such-program-plinth"], 1000).unwrap_err();
        assert!(matches!(err, CapError::NotFound(_)), "{err:?}");
    }
}
