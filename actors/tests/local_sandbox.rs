//! The unsafe local sandbox with real tmux: what adapters can reach, and what the host
//! notices on its own.

mod support;

use std::time::{Duration, Instant};

use plinth_actors::agent_host::TaskSandbox;
use plinth_actors::sandbox::{LocalSandbox, TmuxServer};
use plinth_wasm::wit::{CapError, ProcessExit, SessionSpec, Signal};
use plinth_wasm::{EnvironmentCap, TmuxCap};
use support::contains;

struct Rig {
    dir: tempfile::TempDir,
    tmux: TmuxServer,
}

impl Rig {
    fn new() -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let tmux = TmuxServer::new(dir.path().join("tmux.sock"));
        std::fs::create_dir_all(dir.path().join("work")).unwrap();
        Rig { dir, tmux }
    }

    fn sandbox(&self, task: &str) -> std::sync::Arc<LocalSandbox> {
        LocalSandbox::new(
            task,
            self.dir.path().join("work"),
            self.dir.path().join("home"),
            self.tmux.clone(),
        )
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        plinth_testkit::tmux::kill_server(self.tmux.socket());
    }
}

fn spec(name: &str, script: &str) -> SessionSpec {
    SessionSpec {
        name: name.into(),
        command: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![("WHO".into(), "plinth".into())],
        workdir: None,
        width: 80,
        height: 24,
    }
}

/// Polls (at most 10 s) until `want` shows up among the signals.
fn poll_until(sandbox: &LocalSandbox, want: &Signal) -> Vec<Signal> {
    support::poll_until(
        || sandbox.poll(),
        want,
        Duration::from_secs(10),
        Duration::from_millis(50),
    )
}

#[test]
fn files_are_reachable_in_the_workdir_and_the_home_and_nowhere_else() {
    let rig = Rig::new();
    let sandbox = rig.sandbox("t1");
    sandbox
        .write_file("notes/a.txt", b"in the workdir")
        .unwrap();
    assert_eq!(sandbox.read_file("notes/a.txt").unwrap(), b"in the workdir");
    let in_home = format!("{}/.claude.json", sandbox.home());
    sandbox.write_file(&in_home, b"{}").unwrap();
    assert_eq!(sandbox.read_file(&in_home).unwrap(), b"{}");
    for path in ["/etc/passwd", "../outside.txt"] {
        let err = sandbox.read_file(path).unwrap_err();
        assert!(matches!(err, CapError::AccessDenied(_)), "{path}: {err:?}");
    }
    let err = sandbox.read_file("missing.txt").unwrap_err();
    assert!(matches!(err, CapError::NotFound(_)), "{err:?}");
}

#[test]
fn a_screen_change_and_an_exit_are_reported_with_the_session_name() {
    let rig = Rig::new();
    let sandbox = rig.sandbox("t1");
    sandbox
        .sessions()
        .create(spec("worker", "echo hello $WHO; sleep 0.3; exit 3"))
        .unwrap();
    poll_until(&sandbox, &Signal::ScreenChanged("worker".into()));
    let exit = Signal::ProcessExited(ProcessExit {
        session: "worker".into(),
        exit_code: Some(3),
    });
    poll_until(&sandbox, &exit);
    assert!(
        !contains(&sandbox.poll(), &exit),
        "an exit is reported once"
    );
    assert!(!sandbox.sessions().is_alive("worker").unwrap());
    // tmux writes "Pane is dead" below the last line, scrolling the top line (ours) into
    // the history.
    let history = sandbox.sessions().capture_history("worker", 100).unwrap();
    assert!(history.contains("hello plinth"), "{history}");
}

#[test]
fn one_task_cannot_see_or_touch_another_tasks_sessions() {
    let rig = Rig::new();
    let first = rig.sandbox("t1");
    let second = rig.sandbox("t2");
    first.sessions().create(spec("agent", "sleep 30")).unwrap();
    let err = second.sessions().capture_screen("agent").unwrap_err();
    assert!(matches!(err, CapError::NotFound(_)), "{err:?}");
    second.sessions().kill("agent").unwrap();
    assert!(
        first.sessions().is_alive("agent").unwrap(),
        "t2's kill left t1's session alone"
    );
    let err = first
        .sessions()
        .create(spec("agent", "sleep 30"))
        .unwrap_err();
    assert!(matches!(err, CapError::Invalid(_)), "{err:?}");
    let err = first
        .sessions()
        .create(spec("../t2--agent", "true"))
        .unwrap_err();
    assert!(matches!(err, CapError::Invalid(_)), "{err:?}");
}

#[test]
fn a_paste_arrives_as_typed_text_and_keys_submit_it() {
    let rig = Rig::new();
    let sandbox = rig.sandbox("t1");
    sandbox
        .sessions()
        .create(spec("agent", "read line; echo \"got:$line\"; sleep 30"))
        .unwrap();
    sandbox.sessions().paste("agent", "two words").unwrap();
    sandbox
        .sessions()
        .send_keys("agent", &["Enter".into()])
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = sandbox.sessions().capture_screen("agent").unwrap().text;
        if text.contains("got:two words") {
            break;
        }
        assert!(Instant::now() < deadline, "screen: {text}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let history = sandbox.sessions().capture_history("agent", 100).unwrap();
    assert!(history.contains("got:two words"), "{history}");
}

#[test]
fn a_session_name_never_matches_another_by_prefix_and_semicolons_pass_through() {
    let rig = Rig::new();
    let sandbox = rig.sandbox("t1");
    // An argument ending in ';' would end the command for tmux if it were not escaped.
    sandbox
        .sessions()
        .create(SessionSpec {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo \"$1\"; exec sleep 30".into(),
                "sh".into(),
                "semi;".into(),
            ],
            ..spec("ab", "")
        })
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sandbox
        .sessions()
        .capture_screen("ab")
        .unwrap()
        .text
        .contains("semi;")
    {
        assert!(Instant::now() < deadline, "the argument never arrived");
        std::thread::sleep(Duration::from_millis(50));
    }
    for err in [
        sandbox.sessions().capture_screen("a").unwrap_err(),
        sandbox.sessions().foreground_command("a").unwrap_err(),
    ] {
        assert!(matches!(err, CapError::NotFound(_)), "{err:?}");
    }
    assert!(!sandbox.sessions().is_alive("a").unwrap());
    assert!(sandbox.sessions().is_alive("ab").unwrap());
}

#[test]
fn workdirs_and_written_paths_that_escape_the_task_are_refused() {
    let rig = Rig::new();
    let sandbox = rig.sandbox("esc");
    let outside = rig.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let exec_in = |workdir: &str| {
        sandbox.exec(plinth_wasm::wit::ExecRequest {
            command: vec!["pwd".into()],
            workdir: Some(workdir.into()),
            env: Vec::new(),
            stdin: None,
            timeout_ms: 5_000,
        })
    };
    let err = exec_in("sub").unwrap_err();
    assert!(
        matches!(&err, CapError::NotFound(m) if m.contains("working directory")),
        "a missing workdir is named as such: {err:?}"
    );
    std::fs::create_dir_all(rig.dir.path().join("work/sub")).unwrap();
    let out = exec_in("sub").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        rig.dir.path().join("work/sub").display().to_string(),
        "a relative workdir starts at the task's workdir"
    );
    let escaping = [
        "..".to_string(),
        "../outside".to_string(),
        "sub/../../outside".to_string(),
        outside.display().to_string(),
        "/etc".to_string(),
    ];
    for dir in &escaping {
        let err = exec_in(dir).unwrap_err();
        assert!(
            matches!(err, CapError::AccessDenied(_)),
            "exec in {dir}: {err:?}"
        );
        let mut session = spec("esc", "pwd; sleep 5");
        session.workdir = Some(dir.clone());
        let err = sandbox.sessions().create(session).unwrap_err();
        assert!(
            matches!(err, CapError::AccessDenied(_)),
            "session in {dir}: {err:?}"
        );
    }
    for path in [
        "../outside/evil.txt".to_string(),
        outside.join("evil.txt").display().to_string(),
    ] {
        let err = sandbox.write_file(&path, b"x").unwrap_err();
        assert!(matches!(err, CapError::AccessDenied(_)), "{path}: {err:?}");
    }
    assert!(
        !outside.join("evil.txt").exists(),
        "nothing was written outside the task"
    );
}
