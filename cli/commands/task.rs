//! `plinth task …`: tasks through the server's API.

use std::path::PathBuf;

use chrono::Utc;
use plinth_actors::tasks::{DiffReport, Question, SyncReport, TaskView};
use serde_json::json;

use plinth_server::Home;

use crate::cli::{EventsArgs, TaskCommand};
use crate::client::{Client, encode};
use crate::failure::Failure;
use crate::table::table;

use super::spend;
use super::task_logs::Transcript;

/// Said every time a task runs in local mode.
const UNSAFE_WARNING: &str = "warning: this task runs in local mode, which is unsafe: the agent \
runs on this machine as you, with your files and credentials in reach; use --sandbox docker \
to confine it";
/// How much of a prompt `task list` shows.
const PROMPT_WIDTH: usize = 48;

pub async fn run(client: &Client, home: &Home, command: TaskCommand) -> Result<i32, Failure> {
    match command {
        TaskCommand::New {
            prompt,
            agent,
            sandbox,
            base,
            repo,
            include_uncommitted,
            budget,
            json,
        } => {
            let repo = match repo {
                Some(repo) => repo,
                None => current_dir()?,
            };
            let body = json!({
                "prompt": prompt,
                "agent": agent,
                "repo": std::path::absolute(&repo).unwrap_or(repo),
                "base": base,
                "sandbox": sandbox,
                "include_uncommitted": include_uncommitted,
                "budget": budget,
            });
            let task: TaskView = client.post("/api/tasks", &body).await?;
            if task.unsafe_sandbox {
                eprintln!("{UNSAFE_WARNING}");
            }
            if json.json {
                print_json(&task);
            } else {
                println!(
                    "task {} started: {} in {}, on branch {} from {}",
                    task.id,
                    task.agent,
                    sandbox_name(&task),
                    task.branch,
                    task.base_branch
                );
                println!("follow it with: plinth task logs {} --follow", task.id);
            }
            Ok(0)
        }
        TaskCommand::List { all, json } => {
            let path = if all {
                "/api/tasks?archived=true"
            } else {
                "/api/tasks"
            };
            let tasks: Vec<TaskView> = client.get(path).await?;
            if json.json {
                print_json(&tasks);
            } else if tasks.is_empty() {
                println!("no tasks yet; start one with: plinth task new \"what to do\"");
            } else {
                print!("{}", render_list(&tasks));
            }
            Ok(0)
        }
        TaskCommand::Show { id, json } => {
            let task: TaskView = client.get(&task_path(&id, "")).await?;
            show(&task, json.json);
            Ok(0)
        }
        TaskCommand::Stop { id, json } => {
            let task: TaskView = client.post(&task_path(&id, "/stop"), &json!({})).await?;
            show(&task, json.json);
            Ok(0)
        }
        TaskCommand::Send { id, message, json } => {
            let task: TaskView = client
                .post(&task_path(&id, "/messages"), &json!({ "text": message }))
                .await?;
            if json.json {
                print_json(&task);
            } else {
                println!("sent to {} ({})", task.id, task.status);
            }
            Ok(0)
        }
        TaskCommand::Answer { id, choice, json } => {
            let task: TaskView = client
                .post(&task_path(&id, "/answer"), &json!({ "choice": choice }))
                .await?;
            if json.json {
                print_json(&task);
            } else {
                println!("answered {} ({})", task.id, task.status);
            }
            Ok(0)
        }
        TaskCommand::Resume { id, json } => {
            let task: TaskView = client.post(&task_path(&id, "/resume"), &json!({})).await?;
            if task.unsafe_sandbox {
                eprintln!("{UNSAFE_WARNING}");
            }
            show(&task, json.json);
            Ok(0)
        }
        TaskCommand::Attach { id, session } => {
            let task: TaskView = client.get(&task_path(&id, "")).await?;
            // Its environment is stopped once its work is synced: the server starts it
            // again for as long as the terminal is open.
            if matches!(task.lifecycle.as_str(), "finished" | "failed") {
                super::attach::need_terminal()?;
                return super::attach_server::attach(client, &task.id, session.as_deref()).await;
            }
            let environments: serde_json::Value = client.get("/api/environments").await?;
            super::attach::attach(home.root(), &task, &environments, session.as_deref())
        }
        TaskCommand::Budget { id, amount, json } => {
            let budget = match amount.as_str() {
                "none" => None,
                amount => Some(parse_budget(amount)?),
            };
            let task: TaskView = client
                .post(&task_path(&id, "/budget"), &json!({ "budget": budget }))
                .await?;
            if json.json {
                print_json(&task);
            } else {
                let spend = task.spend.as_ref();
                let spent = spend::money(spend.map_or(0.0, |s| s.cost));
                match budget {
                    Some(budget) => println!(
                        "{}: budget {} ({spent} spent); if its agent was stopped by the budget, \
                         tell it to go on: plinth task send {} \"go on\"",
                        task.id,
                        spend::money(budget),
                        task.id
                    ),
                    None => println!("{}: no budget ({spent} spent)", task.id),
                }
            }
            Ok(0)
        }
        TaskCommand::Archive { id, json } => {
            let task: TaskView = client.post(&task_path(&id, "/archive"), &json!({})).await?;
            show(&task, json.json);
            Ok(0)
        }
        TaskCommand::Sync { id, json } => {
            let report: SyncReport = client.post(&task_path(&id, "/sync"), &json!({})).await?;
            if json.json {
                print_json(&report);
            } else {
                println!("{}", report.message);
            }
            Ok(0)
        }
        TaskCommand::Diff { id, stat, json } => {
            let report: DiffReport = client.get(&task_path(&id, "/diff")).await?;
            if json.json {
                print_json(&report);
            } else {
                print!("{}", super::task_diff::render(&report, stat));
            }
            Ok(0)
        }
        TaskCommand::Logs { id, follow, json } => {
            // An unknown id is an error here, not an empty log.
            let _: TaskView = client.get(&task_path(&id, "")).await?;
            let args = EventsArgs {
                follow,
                kind: None,
                task: Some(id),
                after: 0,
                json,
            };
            if json {
                return super::events::run(home, args).await;
            }
            let mut transcript = Transcript::default();
            super::events::show(home, &args, |event| {
                if let Some(lines) = transcript.render(event) {
                    print!("{lines}");
                }
            })
            .await
        }
    }
}

fn current_dir() -> Result<PathBuf, Failure> {
    std::env::current_dir()
        .map_err(|err| Failure::other(format!("cannot read the current directory: {err}")))
}

fn task_path(id: &str, rest: &str) -> String {
    format!("/api/tasks/{}{rest}", encode(id))
}

fn print_json<T: serde::Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("tasks serialize")
    );
}

fn sandbox_name(task: &TaskView) -> &'static str {
    if task.unsafe_sandbox {
        "local mode (unsafe)"
    } else {
        "docker"
    }
}

fn show(task: &TaskView, json: bool) {
    if json {
        print_json(task);
        return;
    }
    let mut rows = vec![
        vec!["id".into(), task.id.clone()],
        vec![
            "status".into(),
            format!(
                "{} (for {})",
                task.status,
                age((Utc::now() - task.status_since).num_seconds())
            ),
        ],
        vec!["agent".into(), task.agent.clone()],
        vec!["sandbox".into(), sandbox_name(task).into()],
        vec!["branch".into(), task.branch.clone()],
        vec!["base".into(), task.base_branch.clone()],
        vec!["repository".into(), task.project_path.display().to_string()],
        vec!["created".into(), task.created_at.to_rfc3339()],
    ];
    if let Some(detail) = &task.detail {
        rows.push(vec!["detail".into(), detail.clone()]);
    }
    if let Some(question) = &task.question {
        rows.extend(question_rows(question, &task.id));
    }
    if let Some(failure) = &task.failure {
        rows.push(vec!["failure".into(), failure.clone()]);
    }
    if task.archived {
        rows.push(vec!["archived".into(), "yes".into()]);
    }
    if let Some(spend) = &task.spend {
        rows.extend(spend::rows(spend));
    }
    print!("{}", table(&rows));
    println!("prompt:\n{}", indent(&task.prompt));
}

/// The question the agent waits on, its choices, and how to answer.
fn question_rows(question: &Question, id: &str) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["question".into(), question.text.clone()]];
    if let Some(detail) = &question.detail {
        rows.push(vec!["about".into(), detail.clone()]);
    }
    for (n, choice) in question.choices.iter().enumerate() {
        let head = if n == 0 { "choices" } else { "" };
        rows.push(vec![
            head.into(),
            format!("{} (plinth task answer {id} {})", choice.label, choice.id),
        ]);
    }
    rows
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_list(tasks: &[TaskView]) -> String {
    let mut rows = vec![
        [
            "ID", "STATUS", "FOR", "AGENT", "SANDBOX", "AGE", "COST", "PROMPT",
        ]
        .map(String::from)
        .to_vec(),
    ];
    let now = Utc::now();
    for task in tasks {
        let first_line = task.prompt.lines().next().unwrap_or_default();
        rows.push(vec![
            task.id.clone(),
            task.status.clone(),
            age((now - task.status_since).num_seconds()),
            task.agent.clone(),
            if task.unsafe_sandbox {
                "local!"
            } else {
                "docker"
            }
            .into(),
            age((now - task.created_at).num_seconds()),
            spend::cost_cell(task.spend.as_ref()),
            shorten(first_line, PROMPT_WIDTH),
        ]);
    }
    let mut text = table(&rows);
    for line in spend::project_totals(tasks) {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

fn age(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn shorten(text: &str, width: usize) -> String {
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(width).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}

/// An amount of money as the user typed it: `5`, `2.50`, `$2.50`.
fn parse_budget(text: &str) -> Result<f64, Failure> {
    text.trim()
        .trim_start_matches('$')
        .parse::<f64>()
        .ok()
        .filter(|amount| amount.is_finite() && *amount > 0.0)
        .ok_or_else(|| {
            Failure::new(crate::failure::code::USAGE, format!(
                "{text:?} is not a budget: give an amount above 0, e.g. 2.50 (or `none` to lift it)"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_are_short_and_never_negative() {
        assert_eq!(age(-3), "0s");
        assert_eq!(age(59), "59s");
        assert_eq!(age(60), "1m");
        assert_eq!(age(7200), "2h");
        assert_eq!(age(200_000), "2d");
    }

    #[test]
    fn long_prompts_are_cut_with_an_ellipsis() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
