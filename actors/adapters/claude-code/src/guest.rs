//! The component's exports: hands each call to the [`Driver`] kept between calls.

use std::cell::RefCell;

use crate::driver::{Driver, TaskInput};
use crate::exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use crate::host::Host;
use crate::launch::SESSION;
use crate::plinth::agent::log::{Level, log};
use crate::plinth::agent::tmux;
use crate::plinth::agent::types::Capability;

thread_local! {
    // A component instance is single-threaded; the driver lives as long as the instance.
    static DRIVER: RefCell<Option<Driver>> = const { RefCell::new(None) };
}

pub struct ClaudeCode;

impl Guest for ClaudeCode {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "claude-code".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description:
                "Runs the Claude Code CLI in tmux; status from its hooks, the model proxy \
                          and its screen"
                    .into(),
            capabilities: vec![
                Capability::Tmux,
                Capability::Environment,
                Capability::Events,
                Capability::Log,
                Capability::State,
            ],
        }
    }

    fn start(task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
        log(
            Level::Info,
            &format!(
                "claude-code: start task {} (restart {})",
                task.id, task.restarts
            ),
        );
        // The sandbox's home for the agent, unless the task's env names another.
        let mut env = vec![("HOME".to_string(), task.home)];
        env.retain(|(_, home)| !home.is_empty());
        env.extend(task.env);
        let input = TaskInput {
            prompt: task.prompt,
            workdir: task.workdir,
            env,
        };
        let driver = Driver::start(input, saved.as_deref(), &mut Host)?;
        DRIVER.with(|slot| *slot.borrow_mut() = Some(driver));
        Ok(())
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        DRIVER.with(|slot| {
            let mut slot = slot.borrow_mut();
            let driver = slot.as_mut().ok_or("claude-code: a signal before start")?;
            driver.on_signal(&signal, &mut Host);
            Ok(())
        })
    }

    fn stop() -> Result<(), String> {
        DRIVER.with(|slot| match slot.borrow_mut().as_mut() {
            Some(driver) => driver.stop(&mut Host),
            // Stopped before a start in this instance: end the session an earlier one began.
            None => {
                if tmux::kill(SESSION).is_err() {
                    log(Level::Debug, "claude-code: stop: no session to end");
                }
            }
        });
        Ok(())
    }
}
