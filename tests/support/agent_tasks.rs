//! The end-to-end scenarios every built-in terminal agent passes (Gemini CLI, Codex CLI):
//! the real CLI on a task in a real container, the scripted mock behind plinth's proxy, its
//! hooks posted to plinth. Each agent's test file gives its [`AgentCase`] and runs each
//! scenario once.

use std::time::{Duration, Instant};

use plinth_mock_llm::{MockLlm, RecordedRequest as Request, Script};
use serde_json::{Value, json};

use super::claude::{
    REAL_KEY, SKIP_PERMISSIONS, assert_key_not_in_container, create_agent_task, events,
    expect_notifications, git_out, send_message, serve, start_mock, statuses, story, wait_for,
    wait_for_synced,
};
use super::{Containers, Home, Server, containers_of, repository, seconds_to};

/// What differs between agents in these scenarios.
pub struct AgentCase {
    /// The built-in adapter's name.
    pub agent: &'static str,
    /// A tool call that writes `hello.txt` with [`AgentCase::hello`], in the agent's tools.
    pub write_hello: fn() -> Value,
    /// A tool call that runs `command` in a shell.
    pub shell: fn(&str) -> Value,
    /// What `write_hello` writes.
    pub hello: &'static str,
    /// The hooks a turn with tools fires.
    pub hooks: [&'static str; 5],
    /// Words of the transcript's entries for the two tool calls.
    pub tool_entries: [&'static str; 2],
    /// Whether a request to the mock is one of the agent's turns.
    pub is_turn: fn(&Request) -> bool,
    /// The header the upstream key goes in, and the prefix before the key.
    pub key_header: (&'static str, &'static str),
    /// The model calls a turn makes on a refused key before the agent gives up on it.
    pub refusals: usize,
    /// plinth's environment for a task whose `touch` asks for approval.
    pub ask_before_touch: &'static [(&'static str, &'static str)],
}

const COMMIT: &str = "git add hello.txt && git commit -q -m 'Add hello.txt'";

fn done() -> Value {
    json!({"when": {"tool_result": ""},
           "content": [{"type": "text", "text": "Done: hello.txt is committed."}]})
}

fn script(replies: Vec<Value>) -> Script {
    serde_json::from_value(json!({ "replies": replies })).unwrap()
}

/// A task of `case`'s agent on a fresh repository, with plinth serving on a fresh home
/// with `env`, the mock answering from `script`; its containers go when it is dropped.
struct Run {
    mock: MockLlm,
    home: Home,
    server: Server,
    repo: tempfile::TempDir,
    id: String,
    _containers: Containers,
}

impl Run {
    async fn start(case: &AgentCase, script: Script, env: &[(&str, &str)], prompt: &str) -> Run {
        let mock = start_mock(script).await;
        let home = Home::new();
        let server = serve(&home, &mock, env);
        let repo = repository();
        let id = create_agent_task(&server, repo.path(), prompt, case.agent).await;
        Run {
            _containers: Containers(id.clone()),
            mock,
            home,
            server,
            repo,
            id,
        }
    }

    /// A task told to create first.txt, whose `touch` asks for approval, and `then` the
    /// reply after it; once the task waits for its user.
    async fn asking_to_touch(case: &AgentCase, then: Value) -> Run {
        let script = script(vec![
            json!({"content": [(case.shell)("touch first.txt")]}),
            then,
        ]);
        let run = Run::start(case, script, case.ask_before_touch, "Create first.txt.").await;
        wait_for(
            &run.server,
            &run.id,
            &run.mock,
            Duration::from_secs(600),
            "waiting for approval",
            |shown| async move {
                assert_ne!(
                    shown["status"], "idle",
                    "the turn ended without asking: {shown:#}"
                );
                shown["status"] == "waiting-for-user"
            },
        )
        .await;
        run
    }
}

fn in_container(id: &str, path: &str) -> bool {
    let container = containers_of(id).remove(0);
    std::process::Command::new("docker")
        .args(["exec", &container, "test", "-e", path])
        .status()
        .unwrap()
        .success()
}

/// (a) and (b): the task writes a file and commits it, its status goes starting → working
/// → idle, its branch comes back, and no file or variable in its container holds the key.
pub async fn writes_and_commits(case: &AgentCase) {
    let created = Instant::now();
    let Run { mock, home: _home, server, repo, id, _containers } = Run::start(
        case,
        script(vec![
        json!({"content": [{"type": "text", "text": "I'll write the file."}, (case.write_hello)()]}),
        json!({"when": {"tool_result": ""}, "content": [(case.shell)(COMMIT)]}),
        done(),
            ]),
        SKIP_PERMISSIONS,
        "Create hello.txt and commit it.",
    )
    .await;

    let branch_file = format!("plinth/{id}:hello.txt");
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "idle with its branch",
        |shown| {
            let synced = git_out(repo.path(), &["show", &branch_file]);
            async move { shown["status"] == "idle" && !synced.is_empty() }
        },
    )
    .await;
    // The adapter logs `<agent>: started `<command>`` once its session is created.
    let launched = seconds_to(&server, &id, |e| {
        e["kind"] == "task.log"
            && e["data"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(": started `")
    })
    .await;
    let hooked = seconds_to(&server, &id, |e| {
        e["kind"] == "task.hook" && e["data"]["name"] == "SessionStart"
    })
    .await;
    println!(
        "{}: task created → agent process started {launched:?} s → its SessionStart hook \
         {hooked:?} s → idle with its branch {:?}",
        case.agent,
        created.elapsed()
    );

    let statuses = statuses(&server, &id).await;
    let first = |s: &str| statuses.iter().position(|x| x == s);
    assert!(
        first("starting") < first("working") && first("working") < first("idle"),
        "starting → working → idle: {statuses:?}"
    );
    assert_eq!(git_out(repo.path(), &["show", &branch_file]), case.hello);
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    let hooks = events(&server, &id, "task.hook").await;
    let names: Vec<&str> = hooks
        .iter()
        .filter_map(|h| h["data"]["name"].as_str())
        .collect();
    for hook in case.hooks {
        assert!(names.contains(&hook), "{hook} in {names:?}");
    }
    // The transcript has the prompt, the tool calls and the reply.
    let transcript = events(&server, &id, "task.transcript").await;
    let said = |role: &str, text: &str| {
        transcript.iter().any(|e| {
            e["data"]["role"] == role && e["data"]["text"].as_str().unwrap_or("").contains(text)
        })
    };
    assert!(said("user", "Create hello.txt"), "{transcript:#?}");
    for tool in case.tool_entries {
        assert!(said("tool", tool), "{tool} in {transcript:#?}");
    }
    assert!(
        said("agent", "Done: hello.txt is committed."),
        "{transcript:#?}"
    );

    // The real key went upstream, and only there.
    let requests = mock.requests();
    assert!(
        requests.iter().any(case.is_turn),
        "{:?}",
        requests.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    let (header, prefix) = case.key_header;
    for request in &requests {
        assert_eq!(
            request.header(header),
            Some(format!("{prefix}{REAL_KEY}").as_str()),
            "{}",
            request.path
        );
    }
    assert_key_not_in_container(&containers_of(&id).remove(0));
}

/// (c): a command that needs approval puts the task in waiting-for-user, with the question
/// in its detail and a notification; a `yes` message lets it run and the turn go on.
pub async fn waits_for_approval_and_goes_on_after_yes(case: &AgentCase) {
    let then = json!({"when": {"tool_result": ""}, "content": [{"type": "text", "text": "first.txt is there."}]});
    let Run {
        mock,
        home: _home,
        server,
        repo: _repo,
        id,
        _containers,
    } = Run::asking_to_touch(case, then).await;
    expect_notifications(&server, &id, &mock, 1).await;
    let note = events(&server, &id, "notification").await[0]["data"].to_string();
    assert!(
        note.contains("touch first.txt"),
        "the notification names the question: {note}"
    );
    // The question, with its choices, is the task's.
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    let question = &shown["question"];
    assert!(
        question.to_string().contains("touch first.txt"),
        "the question names the command: {shown:#}"
    );
    let kinds: Vec<&str> = question["choices"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["kind"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        kinds.contains(&"allow") && kinds.contains(&"deny"),
        "{shown:#}"
    );
    assert!(
        !in_container(&id, "/workspace/first.txt"),
        "nothing ran before the answer"
    );

    send_message(&server, &id, "yes").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the answer",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "idle" && mock.remaining() == 0 }
        },
    )
    .await;
    assert!(in_container(&id, "/workspace/first.txt"), "the command ran");
    let statuses = statuses(&server, &id).await;
    let wait = statuses
        .iter()
        .position(|s| s == "waiting-for-user")
        .unwrap();
    assert!(
        statuses[wait..].iter().any(|s| s == "working"),
        "working after the answer: {statuses:?}"
    );
    expect_notifications(&server, &id, &mock, 1).await;
}

/// (d): plinth is killed -9 while the agent waits on a model call; started again on the
/// same home, the task goes on in the same session and ends its turn idle.
pub async fn resumes_after_plinth_is_killed_mid_turn(case: &AgentCase) {
    let Run { mock, home, server, repo, id, _containers } = Run::start(
        case,
        script(vec![
        json!({"content": [(case.write_hello)()]}),
        // The call the kill cuts: far slower than the test waits.
        json!({"when": {"tool_result": ""}, "delay_ms": 30_000, "content": [(case.shell)(COMMIT)]}),
        json!({"when": {"tool_result": ""}, "content": [(case.shell)(COMMIT)]}),
        done(),
            ]),
        SKIP_PERMISSIONS,
        "Create hello.txt and commit it.",
    )
    .await;

    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "on its second model call",
        |shown| {
            let mock = &mock;
            async move {
                shown["status"] == "working"
                    && mock
                        .requests()
                        .iter()
                        .any(|r| (case.is_turn)(r) && !r.tool_results().is_empty())
            }
        },
    )
    .await;
    server.kill9();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let restarted = Instant::now();
    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(180),
        "idle after the restart",
        |shown| async move { shown["status"] == "idle" },
    )
    .await;
    println!(
        "{}: plinth killed mid-turn: idle {:.1} s after the restart",
        case.agent,
        restarted.elapsed().as_secs_f64()
    );
    let synced = wait_for_synced(&server, &id, &mock, repo.path(), "hello.txt").await;
    assert_eq!(synced, case.hello);
    assert_eq!(
        git_out(
            repo.path(),
            &["log", "-1", "--format=%s", &format!("plinth/{id}")]
        )
        .trim(),
        "Add hello.txt"
    );
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["lifecycle"], "running", "{shown:#}");
    // One session all along: started once, never relaunched.
    let starts = events(&server, &id, "task.hook")
        .await
        .iter()
        .filter(|h| h["data"]["name"] == "SessionStart")
        .count();
    assert_eq!(starts, 1, "{}", story(&server, &id, &mock).await);
}

/// A message that is no yes or no, sent to a question: the command is refused and the
/// message is the agent's next prompt.
pub async fn an_instruction_refuses_and_is_the_next_prompt(case: &AgentCase) {
    let then = json!({"when": {"contains": "Skip that file"}, "content": [{"type": "text", "text": "Skipped it."}]});
    let Run {
        mock,
        home: _home,
        server,
        repo: _repo,
        id,
        _containers,
    } = Run::asking_to_touch(case, then).await;
    send_message(&server, &id, "Skip that file and say so.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(60),
        "idle after the instruction",
        |shown| {
            let (mock, server, id) = (&mock, &server, &id);
            async move {
                let transcript = events(server, id, "task.transcript").await;
                shown["status"] == "idle"
                    && mock.remaining() == 0
                    && transcript
                        .iter()
                        .any(|e| e["data"]["text"] == "Skipped it.")
            }
        },
    )
    .await;
    assert!(
        !in_container(&id, "/workspace/first.txt"),
        "the refused command did not run"
    );
    let transcript = events(&server, &id, "task.transcript").await;
    assert!(
        transcript
            .iter()
            .any(|e| e["data"]["role"] == "agent" && e["data"]["text"] == "Skipped it."),
        "{transcript:#?}"
    );
}

/// The model API refuses the key: the task waits for its user with a notification, and a
/// message (the user fixed it) is the next prompt, whose call goes through.
pub async fn a_refused_key_waits_for_the_user_until_a_call_goes_through(case: &AgentCase) {
    // Every call of the first turn is refused, side requests (a title) too, as a refused
    // key would be.
    let refused = json!({"when": {"contains": "Say hello", "tools": null},
                         "error": {"type": "authentication_error", "message": "invalid key"}});
    let script: Script = serde_json::from_value(json!({
        "replies": vec![refused; case.refusals],
        "default": {"content": [{"type": "text", "text": "Back at work."}]},
    }))
    .unwrap();
    let Run {
        mock,
        home: _home,
        server,
        repo: _repo,
        id,
        _containers,
    } = Run::start(case, script, SKIP_PERMISSIONS, "Say hello.").await;

    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "waiting for the user",
        |shown| async move { shown["status"] == "waiting-for-user" },
    )
    .await;
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert!(
        shown["detail"]
            .as_str()
            .unwrap_or("")
            .contains("refused the key (401)"),
        "{shown:#}"
    );
    expect_notifications(&server, &id, &mock, 1).await;

    send_message(&server, &id, "Try again.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(120),
        "idle after the retry",
        |shown| {
            let server = &server;
            let id = &id;
            async move {
                let transcript = events(server, id, "task.transcript").await;
                shown["status"] == "idle"
                    && transcript.iter().any(|e| {
                        e["data"]["role"] == "agent" && e["data"]["text"] == "Back at work."
                    })
            }
        },
    )
    .await;
}

/// The agent's session dies while plinth is down (its container restarted, say): plinth,
/// started again, starts the agent again resuming its conversation, idle at its prompt,
/// and the next message goes on from where it was.
pub async fn resumes_its_conversation_when_its_session_died_while_plinth_was_down(
    case: &AgentCase,
) {
    let script = script(vec![
        json!({"content": [(case.write_hello)()]}),
        json!({"when": {"tool_result": ""}, "content": [{"type": "text", "text": "hello.txt is written."}]}),
        json!({"when": {"contains": "Commit it"}, "content": [(case.shell)(COMMIT)]}),
        done(),
    ]);
    let Run {
        mock,
        home,
        server,
        repo,
        id,
        _containers,
    } = Run::start(case, script, SKIP_PERMISSIONS, "Create hello.txt.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(600),
        "idle after its first turn",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "idle" && mock.remaining() == 2 }
        },
    )
    .await;

    server.kill9();
    let container = containers_of(&id).remove(0);
    // Killed as a container's stop kills it: no time for its exit hooks. The pane's
    // program is the agent (its children too: Codex's launcher runs the native binary).
    let script = format!(
        "pane=$(tmux -S /tmp/plinth-tmux.sock display -p -t '{id}--agent' '#{{pane_pid}}') \
         && kill -9 $(cat /proc/$pane/task/*/children) $pane"
    );
    let killed = std::process::Command::new("docker")
        .args(["exec", "-u", "agent", &container, "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(
        killed.status.success(),
        "{}",
        String::from_utf8_lossy(&killed.stderr)
    );

    let server = serve(&home, &mock, SKIP_PERMISSIONS);
    let launches = |events: &[Value]| {
        events
            .iter()
            .filter(|e| {
                e["kind"] == "task.log"
                    && e["data"]["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains(": started `")
            })
            .count()
    };
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(120),
        "started again, idle",
        |shown| {
            let (server, id) = (&server, &id);
            async move {
                let events = server.events_after(&format!("task={id}"), 0).await;
                shown["status"] == "idle" && launches(&events) == 2
            }
        },
    )
    .await;
    let shown: Value = server.get_json(&format!("/api/tasks/{id}")).await;
    assert_eq!(shown["detail"], "resumed; at its prompt", "{shown:#}");

    send_message(&server, &id, "Commit it.").await;
    wait_for(
        &server,
        &id,
        &mock,
        Duration::from_secs(120),
        "idle after the commit",
        |shown| {
            let mock = &mock;
            async move { shown["status"] == "idle" && mock.remaining() == 0 }
        },
    )
    .await;
    let synced = wait_for_synced(&server, &id, &mock, repo.path(), "hello.txt").await;
    assert_eq!(synced, case.hello);
    // The resumed conversation: the call after the restart carries the first turn.
    let commit_call = mock
        .requests()
        .into_iter()
        .find(|r| (case.is_turn)(r) && r.body.to_string().contains("Commit it"))
        .expect("a call for the commit");
    assert!(
        commit_call.body.to_string().contains("Create hello.txt"),
        "the first turn is in the resumed conversation: {}",
        commit_call.body
    );
}
