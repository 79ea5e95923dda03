//! Images against the real Docker daemon. These tests need `scripts/docker-setup.sh` to
//! have run (it installs and starts Docker and builds the base image); without a daemon
//! they fail and say so, since a skipped Docker test reads like a passing one.
//!
//! The agent image is kept after the tests: it is the cache the tests check. Everything
//! else they make is labelled `plinth.test=1` and removed.

use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use futures::StreamExt;
use plinth_actors::environments::docker::image::{self, ImageRecipe};
use plinth_actors::environments::{BuildEvent, DockerClient, DockerError, ImageError, Images};

const TEST_LABEL: (&str, &str) = ("plinth.test", "1");

async fn docker() -> DockerClient {
    DockerClient::connect().await.unwrap_or_else(|e| {
        panic!(
            "{e}\n\nthese tests need a running Docker daemon and the base image: \
             run scripts/docker-setup.sh (as root) first"
        )
    })
}

fn test_labels() -> [(String, String); 1] {
    [(TEST_LABEL.0.to_string(), TEST_LABEL.1.to_string())]
}

/// Removes what a test made even when an assertion fails half-way. Drop cannot await, so
/// it asks the docker CLI, which scripts/docker-setup.sh installs along with the daemon.
#[derive(Default)]
struct Cleanup {
    containers: Vec<String>,
    images: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for container in &self.containers {
            let _ = std::process::Command::new("docker")
                .args(["rm", "-f", container])
                .output();
        }
        for image in &self.images {
            let _ = std::process::Command::new("docker")
                .args(["rmi", "-f", image])
                .output();
        }
    }
}

/// Runs `script` with `sh -c` in a fresh container of `image` as `user` and returns its
/// exit code and combined output.
async fn run(
    client: &DockerClient,
    cleanup: &mut Cleanup,
    image: &str,
    user: Option<&str>,
    script: &str,
) -> (i64, String) {
    let api = client.api();
    let body = ContainerCreateBody {
        image: Some(image.to_string()),
        user: user.map(str::to_string),
        cmd: Some(vec!["sh".into(), "-c".into(), script.into()]),
        labels: Some(test_labels().into_iter().collect()),
        host_config: Some(HostConfig {
            init: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    let created = api
        .create_container(Some(CreateContainerOptionsBuilder::default().build()), body)
        .await
        .expect("create a container");
    cleanup.containers.push(created.id.clone());
    api.start_container(&created.id, None)
        .await
        .expect("start it");
    let code = match api.wait_container(&created.id, None).next().await {
        Some(Ok(exit)) => exit.status_code,
        Some(Err(bollard::errors::Error::DockerContainerWaitError { code, .. })) => code,
        other => panic!("waiting for the container: {other:?}"),
    };
    let mut logs = api.logs(
        &created.id,
        Some(
            LogsOptionsBuilder::default()
                .stdout(true)
                .stderr(true)
                .build(),
        ),
    );
    let mut output = String::new();
    while let Some(chunk) = logs.next().await {
        output.push_str(&chunk.expect("read the logs").to_string());
    }
    remove_container(client, &created.id).await;
    (code, output)
}

async fn remove_container(client: &DockerClient, id: &str) {
    client
        .api()
        .remove_container(
            id,
            Some(RemoveContainerOptionsBuilder::default().force(true).build()),
        )
        .await
        .expect("remove the container");
}

fn version_key(version: &str) -> (u32, u32) {
    let (major, minor) = version.split_once('.').expect("major.minor");
    (major.parse().unwrap(), minor.parse().unwrap())
}

fn unique() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{nanos:x}-{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_image_has_git_tmux_and_claude_code_for_a_non_root_user() {
    let client = docker().await;
    // Debian's daemon speaks 1.41 and refuses newer paths: the client must have come down
    // to the daemon's version (or stayed at its own, against a newer daemon).
    let server = client
        .api()
        .version()
        .await
        .expect("ask the daemon its version");
    let server_api = server
        .api_version
        .expect("the daemon reports its API version");
    let newest = bollard::API_DEFAULT_VERSION.to_string();
    let expected = if version_key(&server_api) < version_key(&newest) {
        server_api
    } else {
        newest
    };
    assert_eq!(client.api_version(), expected);
    let images = Images::new(client.clone());
    let recipe = ImageRecipe::agent(None);
    let started = Instant::now();
    let mut steps = Vec::new();
    let mut events = images.ensure_stream(recipe.clone());
    let mut ready = None;
    while let Some(event) = events.next().await {
        match event.unwrap_or_else(|e| panic!("{e}")) {
            BuildEvent::Step {
                step,
                total,
                instruction,
            } => {
                eprintln!(
                    "[{:>5.1}s] step {step}/{total}: {instruction}",
                    started.elapsed().as_secs_f64()
                );
                steps.push((step, total));
            }
            BuildEvent::Ready(image) => ready = Some(image),
            _ => {}
        }
    }
    let image = ready.expect("the stream ends with Ready");
    eprintln!(
        "agent image {} ({}) ready in {:.1}s",
        image.tag,
        if image.cached { "cached" } else { "built" },
        started.elapsed().as_secs_f64()
    );
    assert!(image.tag.starts_with("plinth-agent:"), "{}", image.tag);
    assert_eq!(image.tag.len(), "plinth-agent:".len() + 12, "{}", image.tag);
    if !image.cached {
        let total = steps.last().expect("a build reports steps").1;
        assert_eq!(steps, (1..=total).map(|s| (s, total)).collect::<Vec<_>>());
    }

    let mut cleanup = Cleanup::default();
    let (code, output) = run(
        &client,
        &mut cleanup,
        &image.tag,
        None,
        "id -un; id -u; pwd; git --version; tmux -V; claude --version",
    )
    .await;
    assert_eq!(code, 0, "{output}");
    let lines: Vec<&str> = output.lines().collect();
    assert_eq!(lines[..3], ["agent", "1000", "/workspace"], "{output}");
    assert!(lines[3].starts_with("git version "), "{output}");
    assert!(lines[4].starts_with("tmux "), "{output}");
    assert!(
        lines[5].contains(image::CLAUDE_CODE_VERSION) && lines[5].contains("Claude Code"),
        "{output}"
    );

    // Same inputs, same tag: no second build.
    let mut events = Vec::new();
    let started = Instant::now();
    let again = images
        .ensure(&recipe, |e| events.push(e))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "cache hit in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    assert!(again.cached);
    assert_eq!(
        (again.tag.as_str(), again.id.as_str()),
        (image.tag.as_str(), image.id.as_str())
    );
    assert_eq!(
        events,
        [
            BuildEvent::CacheHit {
                tag: image.tag.clone()
            },
            BuildEvent::Ready(again.clone()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_dockerfile_builds_once_with_progress_and_its_context() {
    let client = docker().await;
    let images = Images::new(client.clone()).with_labels(test_labels());
    let project = tempfile::tempdir().unwrap();
    let token = unique();
    std::fs::write(project.path().join("hello.txt"), &token).unwrap();
    std::fs::create_dir(project.path().join("docker")).unwrap();
    // The Dockerfile lives outside the context's root, as projects often keep it.
    let dockerfile = project.path().join("docker/Dockerfile");
    std::fs::write(
        &dockerfile,
        format!(
            "FROM {}\nCOPY hello.txt /hello.txt\nRUN echo built-from-the-project\n",
            image::base_image(None)
        ),
    )
    .unwrap();
    let recipe = ImageRecipe::Dockerfile {
        dockerfile,
        context: project.path().to_path_buf(),
    };
    let mut cleanup = Cleanup::default();
    cleanup.images.push(images.tag_of(&recipe).await.unwrap());

    let mut events = Vec::new();
    let built = images
        .ensure(&recipe, |e| events.push(e))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!built.cached);
    assert!(built.tag.starts_with("plinth-project:"), "{}", built.tag);
    assert_eq!(
        events[0],
        BuildEvent::Started {
            tag: built.tag.clone()
        }
    );
    let steps: Vec<(u32, u32, &str)> = events
        .iter()
        .filter_map(|e| match e {
            BuildEvent::Step {
                step,
                total,
                instruction,
            } => Some((*step, *total, instruction.as_str())),
            _ => None,
        })
        .collect();
    // The builder adds a LABEL step per label after the Dockerfile's own three.
    let total = steps[0].1;
    assert!(total > 3, "{steps:?}");
    assert_eq!(
        steps.iter().map(|s| (s.0, s.1)).collect::<Vec<_>>(),
        (1..=total).map(|s| (s, total)).collect::<Vec<_>>()
    );
    assert_eq!(steps[1].2, "COPY hello.txt /hello.txt");
    assert!(events.contains(&BuildEvent::Output {
        line: "built-from-the-project".into()
    }));
    assert_eq!(events.last(), Some(&BuildEvent::Ready(built.clone())));

    let inspected = client.api().inspect_image(&built.tag).await.unwrap();
    let labels = inspected.config.and_then(|c| c.labels).unwrap_or_default();
    assert_eq!(labels.get("plinth.test").map(String::as_str), Some("1"));
    assert_eq!(
        labels.get("plinth.image").map(String::as_str),
        Some("project")
    );

    let again = images.ensure(&recipe, |_| {}).await.unwrap();
    assert!(again.cached);
    assert_eq!(again.id, built.id);

    let (code, output) = run(&client, &mut cleanup, &built.tag, None, "cat /hello.txt").await;
    assert_eq!((code, output.as_str()), (0, token.as_str()));

    client
        .api()
        .remove_image(
            &built.tag,
            Some(RemoveImageOptionsBuilder::default().force(true).build()),
            None,
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_build_step_reports_its_output() {
    let client = docker().await;
    let images = Images::new(client).with_labels(test_labels());
    let project = tempfile::tempdir().unwrap();
    let dockerfile = project.path().join("Dockerfile");
    // The marker is computed by the shell, so finding "42" proves the step's own output
    // is in the error, not just the Dockerfile's text.
    std::fs::write(
        &dockerfile,
        format!(
            "FROM {}\nRUN echo \"plinth-broken-step: $((6 * 7)) {}\" >&2 && exit 3\n",
            image::base_image(None),
            unique()
        ),
    )
    .unwrap();
    let recipe = ImageRecipe::dockerfile(&dockerfile);
    let mut cleanup = Cleanup::default();
    cleanup.images.push(images.tag_of(&recipe).await.unwrap());

    let err = images.ensure(&recipe, |_| {}).await.unwrap_err();
    let text = err.to_string();
    let ImageError::BuildFailed {
        message, log_tail, ..
    } = &err
    else {
        panic!("expected a build failure, got {text}");
    };
    assert!(message.contains("returned a non-zero code: 3"), "{text}");
    assert!(
        log_tail
            .iter()
            .any(|l| l.starts_with("plinth-broken-step: 42 ")),
        "{text}"
    );
    assert!(text.contains("plinth-broken-step: 42 "), "{text}");
    assert!(text.contains("Step 2/"), "{text}");
    assert!(!text.contains('\x1b'), "colour codes left in: {text:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dockerfile_the_builder_cannot_parse_is_a_build_failure() {
    let images = Images::new(docker().await).with_labels(test_labels());
    let project = tempfile::tempdir().unwrap();
    let dockerfile = project.path().join("Dockerfile");
    std::fs::write(
        &dockerfile,
        format!(
            "FROM {}\nFROBNICATE {}\n",
            image::base_image(None),
            unique()
        ),
    )
    .unwrap();
    let recipe = ImageRecipe::dockerfile(&dockerfile);
    let mut cleanup = Cleanup::default();
    cleanup.images.push(images.tag_of(&recipe).await.unwrap());
    let err = images.ensure(&recipe, |_| {}).await.unwrap_err();
    assert!(matches!(err, ImageError::BuildFailed { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("frobnicate"),
        "{err}"
    );
}

#[tokio::test]
async fn a_daemon_that_is_not_there_is_a_clear_error() {
    let err = DockerClient::connect_to("unix:///run/plinth-test-no-such-dir/docker.sock")
        .await
        .unwrap_err();
    assert!(matches!(err, DockerError::Unreachable { .. }));
    assert_eq!(
        err.to_string(),
        "cannot reach Docker at unix:///run/plinth-test-no-such-dir/docker.sock: no socket at \
         /run/plinth-test-no-such-dir/docker.sock; start it with `dockerd` or `systemctl start \
         docker`, or use --sandbox local"
    );
}

#[tokio::test]
async fn a_missing_base_image_says_how_to_make_one() {
    let images = Images::new(docker().await);
    let recipe = ImageRecipe::Agent {
        base: format!("plinth-test-missing-base:{}", unique()),
        ca_dir: None,
    };
    let err = images.ensure(&recipe, |_| {}).await.unwrap_err();
    assert!(matches!(err, ImageError::BaseMissing { .. }), "{err}");
    assert!(err.to_string().contains("scripts/docker-setup.sh"), "{err}");
    assert!(err.to_string().contains("PLINTH_BASE_IMAGE"), "{err}");
}

/// Figures for the environment-ready target (≤ 0.8 s median): how long the cache check
/// takes, and how long a container of the cached agent image takes to start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_image_checks_and_container_starts_are_quick() {
    let client = docker().await;
    let images = Images::new(client.clone());
    let recipe = ImageRecipe::agent(None);
    let image = images
        .ensure(&recipe, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));

    let mut checks = Vec::new();
    let mut starts = Vec::new();
    let mut cleanup = Cleanup::default();
    for _ in 0..7 {
        let started = Instant::now();
        images.ensure(&recipe, |_| {}).await.unwrap();
        checks.push(started.elapsed());

        let started = Instant::now();
        let body = ContainerCreateBody {
            image: Some(image.tag.clone()),
            cmd: Some(vec!["sleep".into(), "infinity".into()]),
            labels: Some(test_labels().into_iter().collect()),
            host_config: Some(HostConfig {
                init: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        };
        let created = client.api().create_container(None, body).await.unwrap();
        cleanup.containers.push(created.id.clone());
        client
            .api()
            .start_container(&created.id, None)
            .await
            .unwrap();
        starts.push(started.elapsed());
        remove_container(&client, &created.id).await;
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (check, start) = (median(&mut checks), median(&mut starts));
    eprintln!(
        "cache-hit check: median {:.1} ms; container create+start: median {:.0} ms ({starts:?})",
        check.as_secs_f64() * 1000.0,
        start.as_secs_f64() * 1000.0,
    );
    // Loose bounds: the tests share two cores with compilers; the figures are the point.
    assert!(check < Duration::from_secs(1), "cache check took {check:?}");
    assert!(
        start < Duration::from_secs(5),
        "container start took {start:?}"
    );
}
