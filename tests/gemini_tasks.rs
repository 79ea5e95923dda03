//! The real Gemini CLI (plinth's Gemini layer of the agent image) on a task in a real
//! container, talking to the scripted mock through plinth's proxy (Gemini's API), its
//! hooks posted to plinth: the scenarios of `support::agent_tasks`.

mod support;

use serde_json::{Value, json};
use support::agent_tasks::{self, AgentCase};

const GEMINI: AgentCase = AgentCase {
    agent: "gemini",
    write_hello: || {
        json!({"type": "tool_use", "name": "write_file",
               "input": {"file_path": "hello.txt", "content": "hello from gemini\n"}})
    },
    shell,
    hello: "hello from gemini\n",
    hooks: [
        "SessionStart",
        "BeforeAgent",
        "BeforeTool",
        "AfterTool",
        "AfterAgent",
    ],
    tool_entries: ["write_file: hello.txt", "run_shell_command: git add"],
    is_turn: |r| r.path.contains(":streamGenerateContent"),
    key_header: ("x-goog-api-key", ""),
    // Gemini CLI's default approval mode asks before every command.
    // Gemini CLI does not retry a 401.
    refusals: 1,
    ask_before_touch: &[],
};

fn shell(command: &str) -> Value {
    json!({"type": "tool_use", "name": "run_shell_command",
           "input": {"command": command, "description": "Run it"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_writes_and_commits_a_file_and_its_branch_comes_back() {
    agent_tasks::writes_and_commits(&GEMINI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_waits_for_approval_and_goes_on_after_yes() {
    agent_tasks::waits_for_approval_and_goes_on_after_yes(&GEMINI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_resumes_after_plinth_is_killed_mid_turn() {
    agent_tasks::resumes_after_plinth_is_killed_mid_turn(&GEMINI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_refuses_when_told_otherwise_and_takes_the_instruction() {
    agent_tasks::an_instruction_refuses_and_is_the_next_prompt(&GEMINI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_waits_for_the_user_when_the_key_is_refused() {
    agent_tasks::a_refused_key_waits_for_the_user_until_a_call_goes_through(&GEMINI).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gemini_resumes_its_conversation_when_its_session_died_while_plinth_was_down() {
    agent_tasks::resumes_its_conversation_when_its_session_died_while_plinth_was_down(&GEMINI)
        .await;
}
