//! How long a task's environment takes to be ready with a cached image: container started,
//! repository copied in, tmux session up. Prints the median of five runs (target: 0.8 s),
//! then ten environments made at once (target: 5 s for all).
//!
//! Needs the Docker daemon and the base image (scripts/docker-setup.sh); the agent image is
//! built first if it is missing, outside the timings.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_actors::environments::docker::container::{self, ContainerSpec, Limits, TaskContainer};
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::docker::repo_copy::{RepoCopy, copy_repo};
use plinth_actors::environments::docker::sandbox::DockerSandbox;
use plinth_actors::environments::{DockerClient, ImageRecipe, Images};
use plinth_wasm::TmuxCap;
use plinth_wasm::wit::SessionSpec;

const RUNS: usize = 5;
const AT_ONCE: usize = 10;

fn main() {
    let client = block_on_docker(DockerClient::connect()).unwrap_or_else(|e| {
        panic!("{e}\n\nthe bench needs Docker: run scripts/docker-setup.sh first")
    });
    let images = Images::new(client.clone());
    let image =
        block_on_docker(async move { images.ensure(&ImageRecipe::agent(None), |_| {}).await })
            .expect("the agent image")
            .tag;
    let repo = tempfile::tempdir().unwrap();
    make_repo(repo.path());

    let mut times = Vec::new();
    let mut phases = [Vec::new(), Vec::new(), Vec::new()];
    for run in 0..RUNS {
        let task = format!("bench{}-{run}", std::process::id());
        let started = Instant::now();
        let (container, split) = ready(&client, &image, repo.path(), &task);
        times.push(started.elapsed());
        for (all, one) in phases.iter_mut().zip(split) {
            all.push(one);
        }
        remove(&client, container);
    }
    println!(
        "environment ready (cached image): median {:.3} s over {RUNS} runs (min {:.3}, max {:.3}); target 0.8 s",
        median(&mut times),
        times[0].as_secs_f64(),
        times[RUNS - 1].as_secs_f64()
    );
    println!(
        "  medians: container {:.3} s, repository {:.3} s, tmux {:.3} s",
        median(&mut phases[0]),
        median(&mut phases[1]),
        median(&mut phases[2])
    );

    let started = Instant::now();
    let threads: Vec<_> = (0..AT_ONCE)
        .map(|i| {
            let (client, image) = (client.clone(), image.clone());
            let repo = repo.path().to_path_buf();
            std::thread::spawn(move || {
                let task = format!("bench{}-many{i}", std::process::id());
                ready(&client, &image, &repo, &task).0
            })
        })
        .collect();
    let containers: Vec<TaskContainer> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    println!(
        "{AT_ONCE} environments at once: {:.3} s for all; target 5 s",
        started.elapsed().as_secs_f64()
    );
    for container in containers {
        remove(&client, container);
    }
}

fn median(times: &mut [Duration]) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64()
}

/// Container started, repository in, tmux session running; and how long each took.
fn ready(
    client: &DockerClient,
    image: &str,
    repo: &Path,
    task: &str,
) -> (TaskContainer, [Duration; 3]) {
    let started = Instant::now();
    let spec = ContainerSpec {
        task: task.into(),
        project: "bench".into(),
        image: image.into(),
        limits: Limits::default(),
        labels: vec![("plinth.test".into(), "1".into())],
        env: Vec::new(),
    };
    let c = client.clone();
    let container = block_on_docker(async move { container::create(&c, &spec).await }).unwrap();
    let created = started.elapsed();
    let copy = RepoCopy {
        repo: repo.to_path_buf(),
        base: "main".into(),
        task: task.into(),
        include_uncommitted: false,
    };
    let (c, id) = (client.clone(), container.id.clone());
    block_on_docker(async move { copy_repo(&c, &id, &copy).await }).unwrap();
    let copied = started.elapsed();
    let sandbox: Arc<DockerSandbox> = DockerSandbox::new(client, &container.id, task).unwrap();
    sandbox
        .sessions()
        .create(SessionSpec {
            name: "agent".into(),
            command: vec!["sh".into()],
            env: Vec::new(),
            workdir: None,
            width: 120,
            height: 40,
        })
        .unwrap();
    // new-session has returned: the session runs. The check below is not timed.
    let all = started.elapsed();
    assert!(sandbox.sessions().is_alive("agent").unwrap());
    (container, [created, copied - created, all - copied])
}

fn remove(client: &DockerClient, container: TaskContainer) {
    let c = client.clone();
    block_on_docker(async move { container::remove(&c, &container.id).await }).unwrap();
}

fn make_repo(dir: &Path) {
    let git = |args: &[&str]| {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=b", "-c", "user.email=b@example.invalid"])
            .args(args)
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    git(&["init", "-q", "-b", "main"]);
    for i in 0..50 {
        std::fs::write(
            dir.join(format!("file{i}.txt")),
            format!("{i}\n").repeat(100),
        )
        .unwrap();
    }
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "bench"]);
}
