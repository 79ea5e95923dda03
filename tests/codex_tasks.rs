//! The real Codex CLI (plinth's Codex layer of the agent image) on a task in a real
//! container, talking to the scripted mock through plinth's proxy (OpenAI's Responses
//! API), its hooks posted to plinth: the scenarios of `support::agent_tasks`.

mod support;

use serde_json::{Value, json};
use support::agent_tasks::{self, AgentCase};

const CODEX: AgentCase = AgentCase {
    agent: "codex",
    // Codex edits files with commands too (0.171 offers no `apply_patch` tool).
    write_hello: || shell("printf 'hello from codex\\n' > hello.txt"),
    shell,
    hello: "hello from codex\n",
    hooks: [
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
    ],
    tool_entries: ["printf 'hello from codex", "git add hello.txt"],
    is_turn: |r| {
        r.path.ends_with("/responses") && !r.body["tools"].as_array().is_none_or(Vec::is_empty)
    },
    key_header: ("authorization", "Bearer "),
    // With full access Codex asks for nothing by itself: an exec-policy rule makes it ask
    // before `touch` (docs/adapters.md, "Codex CLI").
    // Codex retries a failed call (4 times, as plinth configures it), its turn's and its
    // title request's: enough refusals for every try; the user's retry is another turn,
    // which they do not match.
    refusals: 12,
    ask_before_touch: &[(
        "PLINTH_CODEX_RULES",
        r#"prefix_rule(pattern = ["touch"], decision = "prompt", justification = "plinth test: touch needs approval")"#,
    )],
};

fn shell(command: &str) -> Value {
    json!({"type": "tool_use", "name": "exec_command", "input": {"cmd": command}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_writes_and_commits_a_file_and_its_branch_comes_back() {
    agent_tasks::writes_and_commits(&CODEX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_waits_for_approval_and_goes_on_after_yes() {
    agent_tasks::waits_for_approval_and_goes_on_after_yes(&CODEX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_resumes_after_plinth_is_killed_mid_turn() {
    agent_tasks::resumes_after_plinth_is_killed_mid_turn(&CODEX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_refuses_when_told_otherwise_and_takes_the_instruction() {
    agent_tasks::an_instruction_refuses_and_is_the_next_prompt(&CODEX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_waits_for_the_user_when_the_key_is_refused() {
    agent_tasks::a_refused_key_waits_for_the_user_until_a_call_goes_through(&CODEX).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codex_resumes_its_conversation_when_its_session_died_while_plinth_was_down() {
    agent_tasks::resumes_its_conversation_when_its_session_died_while_plinth_was_down(&CODEX).await;
}
