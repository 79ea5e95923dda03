//! Throwaway Docker daemons for tests that need a daemon in a state the shared one must not
//! be put in (a first start, `--bridge=none`): each runs in a network namespace of its own,
//! on its own data root, exec root, socket and pid file, so its bridges and iptables rules
//! never touch the machine's. Images come from the machine's daemon (`docker save | docker
//! load`): nothing can be pulled. Everything is undone on drop, also when a test fails.
//! Needs root and iproute2.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// A new namespace with its loopback up.
    pub fn new() -> Netns {
        require_root();
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let name = format!(
            "plinth-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        run("ip", &["netns", "add", &name]);
        let netns = Netns { name };
        run("ip", &["-n", &netns.name, "link", "set", "lo", "up"]);
        netns
    }

    /// The file that stands for the namespace.
    pub fn path(&self) -> String {
        format!("/var/run/netns/{}", self.name)
    }

    /// Moves the calling thread into the namespace: what it binds, connects to and spawns
    /// from then on lives there. Threads it starts afterwards (a runtime's workers) follow.
    pub fn enter_this_thread(&self) {
        let path = self.path();
        let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        use std::os::fd::AsRawFd;
        // SAFETY: a valid namespace file descriptor; only this thread changes namespace.
        let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
    }

    /// `COMMAND ARGS` run inside the namespace.
    pub fn exec(&self, command: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, command])
            .args(args)
            .output()
            .expect("ip netns exec")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}

/// A dockerd of its own in a namespace, on a directory that may outlive it (so a later
/// daemon can start on the same data: its images, its network store).
pub struct Dockerd {
    child: Option<Child>,
    pub root: PathBuf,
}

impl Dockerd {
    /// Starts dockerd in `netns` on `root`, with `extra` flags, and waits until it answers.
    pub fn start(netns: &Netns, root: &Path, extra: &[&str]) -> Dockerd {
        for dir in ["data", "exec"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        // Not the machine's daemon.json: no live-restore, so containers end with the daemon.
        std::fs::write(root.join("daemon.json"), "{}").unwrap();
        let log = std::fs::File::create(root.join("dockerd.log")).unwrap();
        // nsenter, not `ip netns exec`: that one also remounts /sys, which hides the cgroup
        // hierarchies dockerd needs.
        let child = Command::new("nsenter")
            .arg(format!("--net={}", netns.path()))
            .arg("dockerd")
            .args(Self::own_flags(root))
            .args(extra)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("start dockerd");
        let daemon = Dockerd {
            child: Some(child),
            root: root.to_path_buf(),
        };
        daemon.wait_until_it_answers();
        daemon
    }

    /// What keeps a daemon apart from the machine's: its own data, state, socket, pid file
    /// and configuration.
    pub fn own_flags(root: &Path) -> Vec<String> {
        let at = |p: &str| root.join(p).display().to_string();
        vec![
            format!("--data-root={}", at("data")),
            format!("--exec-root={}", at("exec")),
            format!("--pidfile={}", at("docker.pid")),
            format!("--config-file={}", at("daemon.json")),
            format!("--host=unix://{}", at("docker.sock")),
        ]
    }

    pub fn socket(&self) -> PathBuf {
        self.root.join("docker.sock")
    }

    /// `unix://…`, for `PLINTH_DOCKER_SOCKET`.
    pub fn address(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    fn wait_until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if self.docker(&["info"]).status.success() {
                return;
            }
            if Instant::now() > deadline {
                let log =
                    std::fs::read_to_string(self.root.join("dockerd.log")).unwrap_or_default();
                panic!("the test's dockerd did not answer within 60 s:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// `docker ARGS` against this daemon.
    pub fn docker(&self, args: &[&str]) -> Output {
        Command::new("docker")
            .arg("-H")
            .arg(self.address())
            .args(args)
            .output()
            .expect("run docker")
    }

    /// Copies `images` from the machine's daemon into this one.
    pub fn load_images(&self, images: &[&str]) {
        let saved = self.root.join("images.tar");
        let out = Command::new("docker")
            .args(["save", "-o"])
            .arg(&saved)
            .args(images)
            .output()
            .unwrap();
        assert!(out.status.success(), "docker save: {out:?}");
        let out = self.docker(&["load", "-q", "-i", saved.to_str().unwrap()]);
        assert!(out.status.success(), "docker load: {out:?}");
        let _ = std::fs::remove_file(saved);
    }

    /// The default bridge network's IPAM configuration as Docker reports it.
    pub fn bridge_ipam(&self) -> String {
        let out = self.docker(&[
            "network",
            "inspect",
            "bridge",
            "--format",
            "{{json .IPAM.Config}}",
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Stops the daemon (its containers stop with it), at most 30 s, then kills it.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = std::fs::read_to_string(self.root.join("docker.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        // Containers first, so none outlives the daemon's state.
        let ids = self.docker(&["ps", "-aq"]);
        for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
            let _ = self.docker(&["rm", "-f", id]);
        }
        if let Some(pid) = pid {
            // SAFETY: signalling the daemon this test started.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Some(pid) = pid {
            // SAFETY: as above.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A directory for daemons' data, unmounted and removed on drop.
pub struct DaemonRoot {
    pub dir: tempfile::TempDir,
}

impl DaemonRoot {
    pub fn new() -> DaemonRoot {
        DaemonRoot {
            dir: tempfile::Builder::new()
                .prefix("plinth-dockerd-")
                .tempdir()
                .unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for DaemonRoot {
    fn drop(&mut self) {
        // A daemon that was killed may leave overlay and namespace mounts behind.
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let root = self.path().display().to_string();
        let mut ours: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|m| m.starts_with(&root))
            .collect();
        ours.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for mount in ours {
            let _ = Command::new("umount").args(["-l", mount]).output();
        }
    }
}

/// The image tags `plinth image build` makes for a repository without a Dockerfile on the
/// machine's daemon (built there once and cached): the agent image.
pub fn agent_image(home: &crate::Home) -> String {
    let repo = crate::repository();
    let out = home.run(&["image", "build", repo.path().to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", crate::stderr(&out));
    let built: serde_json::Value = serde_json::from_str(crate::stdout(&out).trim()).unwrap();
    built["tag"].as_str().unwrap().to_string()
}

pub fn require_root() {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test starts a Docker daemon of its own in a network namespace: run it as root \
         (scripts/test.sh does)"
    );
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program}: {e} (the test needs iproute2)");
        });
    assert!(out.status.success(), "{program} {args:?}: {out:?}");
}
