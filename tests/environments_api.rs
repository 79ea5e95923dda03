//! The server's environment manager, seen through the API and the actor tree: it runs
//! under the root, and `GET /api/environments` says where tasks can run — including, with
//! Docker unreachable, why not, while the server itself still starts.

mod support;

use serde_json::Value;
use support::Home;

#[tokio::test]
async fn the_environment_manager_runs_in_the_tree_and_reports_docker_down_without_failing_the_server()
 {
    let home = Home::new();
    let mut command = home.command(&["serve", "--port", "0", "--no-open"]);
    command
        .env("PLINTH_DOCKER_SOCKET", "unix:///nonexistent/docker.sock")
        .env("PLINTH_SANDBOX", "local");
    let server = home.serve_with_command(command);

    let view: Value = server.get_json("/api/environments").await;
    assert_eq!(view["environments"], Value::Array(vec![]), "{view}");
    assert_eq!(view["orphans"], Value::Array(vec![]), "{view}");
    assert_eq!(view["default_sandbox"], "local", "{view}");
    let docker_error = view["docker_error"].as_str().unwrap_or_default();
    assert!(
        docker_error.contains("/nonexistent/docker.sock"),
        "the error says where it looked: {view}"
    );

    let actors: Vec<Value> = server.get_json("/api/actors").await;
    let manager = actors
        .iter()
        .find(|a| a["name"] == "root/environments")
        .unwrap_or_else(|| panic!("no environment manager in {actors:?}"));
    assert_eq!(manager["state"], "running", "{manager}");
}
