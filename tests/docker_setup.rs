//! `scripts/docker-setup.sh` judges whether its daemon runs by that daemon's pid file and
//! socket, not by whether any process is called `dockerd`: with another dockerd on the
//! machine (here the machine's own daemon; for a user, a second daemon or rootless Docker)
//! it starts its own and is ready in seconds, where it used to wait 60 s for a socket
//! nobody would open and then fail saying the daemon "did not answer".
//!
//! The script's daemon is real: dockerd in a network namespace of the test's own (through a
//! `dockerd` on PATH that enters it), on its own data, pid file and socket.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use support::netns_docker::{DaemonRoot, Dockerd, Netns};
use support::{stderr, stdout};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/docker-setup.sh");

/// Kills the daemon the script started, whatever the test's outcome.
struct StartedDaemon(PathBuf);

impl StartedDaemon {
    fn pid(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(&self.0).ok()?.trim().parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        (comm.trim() == "dockerd").then_some(pid)
    }
}

impl Drop for StartedDaemon {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            // SAFETY: the daemon this test had the script start.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

fn setup(root: &Path, bin: &Path, args: &[&str]) -> (Output, Duration) {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let socket = root.join("docker.sock");
    let started = Instant::now();
    let out = Command::new("timeout")
        .arg("120")
        .arg(SCRIPT)
        .args(args)
        .env("PATH", path)
        .env("PLINTH_DOCKERD_PIDFILE", root.join("docker.pid"))
        .env("PLINTH_DOCKERD_SOCKET", &socket)
        .env("PLINTH_DOCKERD_LOG", root.join("setup-dockerd.log"))
        // What the docker CLI (and the script before it knew better) talk to.
        .env("DOCKER_HOST", format!("unix://{}", socket.display()))
        .env_remove("PLINTH_BASE_IMAGE")
        .output()
        .unwrap();
    (out, started.elapsed())
}

#[test]
fn setup_starts_its_own_daemon_though_another_dockerd_runs() {
    let others = Command::new("pgrep")
        .args(["-x", "dockerd"])
        .output()
        .unwrap();
    assert!(
        others.status.success(),
        "precondition: another dockerd runs (the machine's)"
    );
    let root = DaemonRoot::new();
    let netns = Netns::new();
    // The script's daemon finds the base image there, so it builds nothing.
    {
        let seed = Dockerd::start(&netns, root.path(), &[]);
        seed.load_images(&["plinth-base:bookworm"]);
    }
    // A pid file left by a daemon that died: its pid is a process that has ended.
    let mut ended = Command::new("true").spawn().unwrap();
    ended.wait().unwrap();
    std::fs::write(root.path().join("docker.pid"), ended.id().to_string()).unwrap();

    let bin = root.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(root.path().join("live.json"), "{\"live-restore\": true}\n").unwrap();
    let at = |p: &str| root.path().join(p).display().to_string();
    std::fs::write(
        bin.join("dockerd"),
        format!(
            "#!/bin/sh\nexec nsenter --net={} /usr/sbin/dockerd --data-root={} --exec-root={} --config-file={} \"$@\"\n",
            netns.path(),
            at("data"),
            at("exec"),
            at("live.json")
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(bin.join("dockerd"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let started = StartedDaemon(root.path().join("docker.pid"));

    let (out, took) = setup(root.path(), &bin, &[]);
    let said = format!("{}{}", stdout(&out), stderr(&out));
    assert!(out.status.success(), "after {took:?}: {said}");
    assert!(
        took < Duration::from_secs(40),
        "it started its daemon rather than wait for another's: {took:?}\n{said}"
    );
    assert!(said.contains("starting dockerd"), "{said}");
    let pid = started
        .pid()
        .expect("its pid file names the live dockerd it started");
    let info = Command::new("docker")
        .args([
            "-H",
            &format!("unix://{}", root.path().join("docker.sock").display()),
        ])
        .args(["info", "--format", "{{.ID}}"])
        .output()
        .unwrap();
    assert!(info.status.success(), "its socket answers: {info:?}");

    // Ready now: a rerun only checks.
    let (again, took) = setup(root.path(), &bin, &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert_eq!(started.pid(), Some(pid), "no second daemon");

    // It stops the daemon of its pid file, and only that one.
    let (stopped, _) = setup(root.path(), &bin, &["--stop-daemon"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    assert_eq!(started.pid(), None, "its daemon stopped");
    assert!(
        Command::new("pgrep")
            .args(["-x", "dockerd"])
            .output()
            .unwrap()
            .status
            .success(),
        "the machine's daemon still runs"
    );
}
