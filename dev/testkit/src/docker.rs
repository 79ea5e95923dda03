//! The machine's Docker daemon by its command line: the containers plinth made for a task
//! (found by their `plinth.task` label), and their removal, also when a test fails.

use std::process::Command;

/// The ids of the containers of `task` (by its `plinth.task` label), running or not.
pub fn containers_of(task: &str) -> Vec<String> {
    let found = Command::new("docker")
        .args([
            "ps",
            "-aq",
            "--filter",
            &format!("label=plinth.task={task}"),
        ])
        .output()
        .expect("run docker");
    String::from_utf8_lossy(&found.stdout)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Removes every container of `task`.
pub fn remove_containers_of(task: &str) {
    for id in containers_of(task) {
        let _ = Command::new("docker").args(["rm", "-f", &id]).output();
    }
}

/// The id of the task's running container (by its `plinth.task` label), if one runs.
pub fn running_container(task: &str) -> Option<String> {
    let out = Command::new("docker")
        .args(["ps", "-q", "--filter", &format!("label=plinth.task={task}")])
        .output()
        .unwrap();
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!id.is_empty()).then_some(id)
}

/// Removes the task's containers when dropped, so that a failing test leaves none.
pub struct Containers(pub String);

impl Drop for Containers {
    fn drop(&mut self) {
        remove_containers_of(&self.0);
    }
}
