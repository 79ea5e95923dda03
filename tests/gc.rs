//! `plinth gc` as the real binary, against the real Docker daemon and a private home: a
//! container labelled as plinth's whose task the store knows stays; one whose task is
//! unknown, and a worktree with no record, are removed on `--yes`. Without a terminal and
//! without `--yes` it asks for `--yes` (exit 2) and removes nothing. A container of another
//! plinth home on the same daemon is not its business. Needs
//! `scripts/docker-setup.sh` to have run. Its containers carry `plinth.test=1` and a label
//! of this run, which `--label` narrows gc to, so other runs' containers are left alone.

mod support;

use plinth_actors::environments::docker::container::{self, ContainerSpec, Limits};
use plinth_actors::environments::docker::exec::block_on_docker;
use plinth_actors::environments::record::{self, EnvironmentRecord, EnvironmentV1};
use plinth_actors::environments::{ImageRecipe, Images};
use plinth_store::{Store, Versioned};
use serde_json::{Value, json};
use support::{Home, RemoveLabelled, docker_client, stderr, stdout};

#[test]
fn gc_removes_orphans_and_leaves_known_environments() {
    let client = docker_client();
    let run = format!("gc{}", std::process::id());
    let label = format!("plinth.test.run={run}");
    let _cleanup = RemoveLabelled {
        client: client.clone(),
        label: label.clone(),
    };
    let images = Images::new(client.clone());
    let image =
        block_on_docker(async move { images.ensure(&ImageRecipe::agent(None), |_| {}).await })
            .unwrap_or_else(|e| panic!("the agent image: {e}"))
            .tag;
    let make = |task: &str, home: Option<&str>| {
        let spec = ContainerSpec {
            task: task.into(),
            project: "gc-test".into(),
            image: image.clone(),
            limits: Limits {
                cpus: 0.5,
                memory_bytes: 256 << 20,
                pids: 64,
            },
            labels: [
                ("plinth.test".to_string(), "1".to_string()),
                ("plinth.test.run".into(), run.clone()),
            ]
            .into_iter()
            .chain(home.map(|h| ("plinth.home".to_string(), h.to_string())))
            .collect(),
            env: Vec::new(),
        };
        let c = client.clone();
        block_on_docker(async move { container::create(&c, &spec).await }).unwrap()
    };
    let known = make(&format!("{run}-known"), None);
    let orphan = make(&format!("{run}-orphan"), None);
    // Unknown here too, but made for another plinth home on the same daemon: not ours.
    let other = make(&format!("{run}-other"), Some("/elsewhere/plinth-home"));

    let home = Home::new();
    let store = Store::open(&home.path().join("plinth.db")).unwrap();
    // The record the EnvironmentManager keeps for a Docker environment.
    let info: EnvironmentV1 = serde_json::from_value(json!({
        "task": known.task,
        "project": "gc-test",
        "kind": "docker",
        "container": known.id,
        "worktree": null,
        "home": null,
        "branch": format!("plinth/{}", known.task),
        "base_branch": "main",
        "status": {"state": "running"},
        "created_at": "2026-11-26T00:00:00Z"
    }))
    .unwrap();
    let s = store.clone();
    block_on_docker(async move {
        s.put_state(
            &record::key(&info.task),
            &EnvironmentRecord::from_latest(info.clone()),
        )
        .await
        .unwrap();
        s.close().await.unwrap();
    });
    drop(store);
    let stray = home.path().join("worktrees").join("gone-task");
    std::fs::create_dir_all(&stray).unwrap();

    // No terminal, no --yes: nothing happens, and it says how to go on.
    let out = home.run(&["gc", "--label", &label]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert!(stdout(&out).contains(&orphan.name), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&known.name), "{}", stdout(&out));
    assert!(!stdout(&out).contains(&other.name), "{}", stdout(&out));
    assert!(stray.exists());

    let out = home.run(&["gc", "--yes", "--json", "--label", &label]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["removed"], true);
    let tasks: Vec<&str> = report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["task"].as_str().unwrap())
        .collect();
    assert_eq!(tasks, vec![orphan.task.as_str()]);
    assert_eq!(report["worktrees"][0]["task"], "gone-task");
    assert!(!stray.exists());

    let c = client.clone();
    let left = block_on_docker(async move { container::find_labelled(&c, &label).await }).unwrap();
    let mut left: Vec<&str> = left.iter().map(|c| c.task.as_str()).collect();
    left.sort();
    assert_eq!(left, vec![known.task.as_str(), other.task.as_str()]);
}
