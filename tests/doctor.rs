//! `plinth doctor` and `plinth config`, run as the real binary against a private home.
//! Faults are made from outside: a Docker socket that does not exist, a PATH without tmux,
//! a config file with a typo.

mod support;

use std::path::Path;

use serde_json::Value;
use support::{Home, stderr, stdout};

const CHECKS: &[&str] = &[
    "config",
    "docker",
    "base-image",
    "agent-image",
    "agent-images",
    "limits",
    "sandbox-reach",
    "tmux",
    "ttyd",
    "git",
    "adapters",
    "disk",
    "store",
];

const NO_DOCKER: &str = "unix:///nonexistent.sock";

fn doctor(home: &Home, env: &[(&str, &str)]) -> (Vec<Value>, i32, String) {
    let mut command = home.command(&["doctor", "--json"]);
    command
        .env_remove("DOCKER_HOST")
        .env_remove("PLINTH_TTYD")
        .env_remove("PLINTH_DOCKER_SOCKET");
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().expect("run plinth doctor");
    let checks: Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    let code = out.status.code().expect("exit code");
    (checks.as_array().unwrap().clone(), code, stderr(&out))
}

fn check<'a>(checks: &'a [Value], name: &str) -> &'a Value {
    checks
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {checks:?}"))
}

/// A directory holding only `git`, to run plinth with a PATH that has no tmux.
fn path_with_only_git(home: &Home) -> String {
    let dir = home.path().join("bin");
    std::fs::create_dir_all(&dir).unwrap();
    let git = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("git"))
        .find(|p| p.is_file())
        .expect("git on PATH");
    std::os::unix::fs::symlink(git, dir.join("git")).unwrap();
    dir.display().to_string()
}

#[test]
fn json_lists_every_check_with_status_detail_and_fix() {
    let home = Home::new();
    let (checks, _, _) = doctor(&home, &[]);
    let names: Vec<&str> = checks.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, CHECKS);
    for check in &checks {
        let object = check.as_object().unwrap();
        let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["detail", "fix", "name", "status"], "{check}");
        let status = check["status"].as_str().unwrap();
        assert!(["ok", "warn", "fail"].contains(&status), "{check}");
        assert!(!check["detail"].as_str().unwrap().is_empty(), "{check}");
        if status == "ok" {
            assert!(check["fix"].is_null(), "{check}");
        } else {
            assert!(!check["fix"].as_str().unwrap().is_empty(), "{check}");
        }
    }
    // The home is fresh: the store is created and opens, and plinth's own checks pass.
    assert_eq!(check(&checks, "store")["status"], "ok");
    assert_eq!(check(&checks, "config")["status"], "ok");
    assert_eq!(check(&checks, "ttyd")["status"], "ok", "ttyd is optional");
    assert!(home.path().join("plinth.db").exists());
}

#[test]
fn an_unreachable_docker_fails_with_the_fix_and_offers_local_mode() {
    let home = Home::new();
    let (checks, code, verdict) = doctor(&home, &[("PLINTH_DOCKER_SOCKET", NO_DOCKER)]);
    let docker = check(&checks, "docker");
    assert_eq!(docker["status"], "fail", "{docker}");
    assert!(
        docker["detail"].as_str().unwrap().contains(NO_DOCKER),
        "{docker}"
    );
    let fix = docker["fix"].as_str().unwrap();
    assert!(fix.contains("dockerd"), "{fix}");
    assert!(fix.contains("scripts/docker-setup.sh"), "{fix}");
    assert!(fix.contains("--sandbox local"), "{fix}");
    assert_eq!(check(&checks, "agent-image")["status"], "warn");
    // tmux is here, so tasks can still run, unsafely.
    assert_eq!(check(&checks, "tmux")["status"], "ok");
    assert_eq!(code, 0, "{verdict}");
    assert!(verdict.contains("--sandbox local"), "{verdict}");
    assert!(verdict.contains("UNSAFE"), "{verdict}");
}

#[test]
fn docker_host_is_used_when_plinth_has_no_socket_of_its_own() {
    let home = Home::new();
    let (checks, _, _) = doctor(&home, &[("DOCKER_HOST", NO_DOCKER)]);
    let docker = check(&checks, "docker");
    assert_eq!(docker["status"], "fail", "{docker}");
    assert!(
        docker["detail"].as_str().unwrap().contains(NO_DOCKER),
        "{docker}"
    );
}

#[test]
fn without_tmux_the_tmux_check_fails() {
    let home = Home::new();
    let path = path_with_only_git(&home);
    let (checks, _, _) = doctor(&home, &[("PATH", &path)]);
    let tmux = check(&checks, "tmux");
    assert_eq!(tmux["status"], "fail", "{tmux}");
    assert!(tmux["fix"].as_str().unwrap().contains("tmux"), "{tmux}");
    assert_eq!(check(&checks, "git")["status"], "ok");
}

#[test]
fn without_docker_and_tmux_tasks_cannot_run() {
    let home = Home::new();
    let path = path_with_only_git(&home);
    let (checks, code, verdict) = doctor(
        &home,
        &[("PATH", &path), ("PLINTH_DOCKER_SOCKET", NO_DOCKER)],
    );
    assert_eq!(check(&checks, "docker")["status"], "fail");
    assert_eq!(check(&checks, "tmux")["status"], "fail");
    assert_eq!(code, 1, "{verdict}");
    assert!(verdict.contains("cannot run tasks"), "{verdict}");
}

#[test]
fn a_cpu_limit_above_what_the_daemon_has_fails() {
    let home = Home::new();
    let (checks, _, _) = doctor(&home, &[("PLINTH_DOCKER_CPUS", "4096")]);
    let limits = check(&checks, "limits");
    if check(&checks, "docker")["status"] != "ok" {
        assert_eq!(limits["status"], "warn", "{limits}");
        return;
    }
    assert_eq!(limits["status"], "fail", "{limits}");
    assert!(
        limits["fix"].as_str().unwrap().contains("docker.cpus"),
        "{limits}"
    );
}

#[test]
fn a_configured_ttyd_that_is_missing_is_a_warning() {
    let home = Home::new();
    let (checks, _, _) = doctor(&home, &[("PLINTH_TTYD", "/nonexistent/ttyd")]);
    let ttyd = check(&checks, "ttyd");
    assert_eq!(ttyd["status"], "warn", "{ttyd}");
    assert!(
        ttyd["detail"]
            .as_str()
            .unwrap()
            .contains("/nonexistent/ttyd"),
        "{ttyd}"
    );
}

#[test]
fn a_broken_store_makes_doctor_exit_non_zero() {
    let home = Home::new();
    std::fs::write(
        home.path().join("plinth.db"),
        b"not a database at all, not even close",
    )
    .unwrap();
    let (checks, code, verdict) = doctor(&home, &[]);
    let store = check(&checks, "store");
    assert_eq!(store["status"], "fail", "{store}");
    assert!(store["fix"].as_str().unwrap().contains("move"), "{store}");
    assert_eq!(code, 1, "{verdict}");
}

#[test]
fn a_config_typo_fails_the_config_check_naming_file_and_line() {
    let home = Home::new();
    write_config(home.path(), "[docker]\nmemory = \"2g\"\ncpu = 2\n");
    let (checks, code, _) = doctor(&home, &[]);
    let config = check(&checks, "config");
    assert_eq!(config["status"], "fail", "{config}");
    let detail = config["detail"].as_str().unwrap();
    assert!(detail.contains("config.toml:3:"), "{detail}");
    assert!(detail.contains("`cpu`"), "{detail}");
    assert_eq!(code, 1);

    let out = home.run(&["config"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("config.toml:3:"), "{}", stderr(&out));
}

fn write_config(home: &Path, text: &str) {
    std::fs::write(home.join("config.toml"), text).unwrap();
}

#[test]
fn config_shows_each_value_and_where_it_came_from() {
    let home = Home::new();
    write_config(
        home.path(),
        "[docker]\ncpus = 1.5\nmemory = \"2g\"\n\n[sandbox]\ndefault = \"local\"\n",
    );
    let out = home
        .command(&["config", "--json"])
        .env("PLINTH_DOCKER_MEMORY", "3g")
        .env_remove("PLINTH_BASE_IMAGE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let config: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(config["file_found"], true);
    let setting = |key: &str| {
        config["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap_or_else(|| panic!("no {key} in {config}"))
            .clone()
    };
    let memory = setting("docker.memory");
    assert_eq!(memory["value"], "3g");
    assert_eq!(memory["source"], "env");
    assert_eq!(memory["from"], "PLINTH_DOCKER_MEMORY");
    let cpus = setting("docker.cpus");
    assert_eq!(cpus["value"], 1.5);
    assert_eq!(cpus["source"], "file");
    assert!(
        cpus["from"].as_str().unwrap().ends_with("config.toml:2"),
        "{cpus}"
    );
    assert_eq!(setting("sandbox.default")["value"], "local");
    let base = setting("docker.base_image");
    assert_eq!(base["source"], "default");
    assert_eq!(base["env"], serde_json::json!(["PLINTH_BASE_IMAGE"]));

    let out = home
        .command(&["config"])
        .env("PLINTH_DOCKER_MEMORY", "3g")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("docker.cpus"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("docker.memory") && l.contains("$PLINTH_DOCKER_MEMORY")),
        "{text}"
    );
}
