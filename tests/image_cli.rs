//! `plinth image build` against the real Docker daemon (needs `scripts/docker-setup.sh`):
//! the agent image for a repository without a Dockerfile, a project's Dockerfile with
//! plinth's layer on top, found again without a rebuild, and a failing build that shows its
//! log.

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{Home, stderr, stdout};

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ok = Command::new("git")
        .args(["init", "-q"])
        .arg(dir.path())
        .status()
        .unwrap()
        .success();
    assert!(ok);
    dir
}

fn build(home: &Home, path: &Path) -> Value {
    let out = home.run(&["image", "build", path.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(stdout(&out).trim()).unwrap()
}

#[test]
fn image_build_makes_the_agent_image_or_the_projects_with_plinths_layer() {
    let home = Home::new();
    let plain = repo();
    let agent = build(&home, plain.path());
    let agent_tag = agent["tag"].as_str().unwrap().to_string();
    assert!(agent_tag.starts_with("plinth-agent:"), "{agent}");

    let project = repo();
    // Unique content per run, so the project's image is really built here.
    let marker = format!("{}-{}", std::process::id(), now_nanos());
    std::fs::write(
        project.path().join("Dockerfile"),
        format!("FROM {agent_tag}\nUSER root\nRUN echo {marker} > /etc/marker\n"),
    )
    .unwrap();
    let first = build(&home, project.path());
    let tag = first["tag"].as_str().unwrap().to_string();
    assert!(tag.starts_with("plinth-project-agent:"), "{first}");
    assert_eq!(first["cached"], false, "{first}");
    let again = build(&home, project.path());
    assert_eq!(again["tag"], first["tag"]);
    assert_eq!(again["cached"], true, "{again}");

    let seen = Command::new("docker")
        .args(["run", "--rm", &tag, "cat", "/etc/marker"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&seen.stdout).trim(), marker);
    let user = Command::new("docker")
        .args(["run", "--rm", &tag, "id", "-un"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&user.stdout).trim(), "agent");
    for image in [tag, first["id"].as_str().unwrap().to_string()] {
        let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
    }
}

#[test]
fn a_failing_project_build_exits_1_with_the_builders_log() {
    let home = Home::new();
    let project = repo();
    std::fs::write(
        project.path().join("Dockerfile"),
        "FROM plinth-base:bookworm\nRUN echo the-reason-it-broke && exit 3\n",
    )
    .unwrap();
    let out = home.run(&["image", "build", project.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("the-reason-it-broke"), "{err}");
    assert!(err.contains("last lines of the build log"), "{err}");
}

#[test]
fn image_build_outside_a_repository_says_so() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let out = home.run(&["image", "build", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("not inside a git repository"),
        "{}",
        stderr(&out)
    );
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}
