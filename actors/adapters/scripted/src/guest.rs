//! The component's exports: hands each call to the [`Runner`] kept between calls.

use std::cell::RefCell;

use guest_support::describe;

use crate::exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
use crate::halt::carry_out;
use crate::host::Host;
use crate::plinth::agent::log::{Level, log};
use crate::plinth::agent::tmux;
use crate::plinth::agent::types::Capability;
use crate::runner::{Runner, SESSION};

thread_local! {
    // A component instance is single-threaded; the runner lives as long as the instance.
    static RUNNER: RefCell<Option<Runner>> = const { RefCell::new(None) };
}

pub struct Scripted;

impl Guest for Scripted {
    fn info() -> AdapterInfo {
        AdapterInfo {
            name: "scripted".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "Follows a script given as the prompt (#!scripted, one step a line); \
                          a stand-in agent for tests"
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
                "scripted: start task {} (restart {})",
                task.id, task.restarts
            ),
        );
        let (runner, halt) = Runner::start(&task.prompt, task.env, saved.as_deref(), &mut Host)?;
        RUNNER.with(|slot| *slot.borrow_mut() = Some(runner));
        if let Some(halt) = halt {
            carry_out(halt);
        }
        Ok(())
    }

    fn on_signal(signal: Signal) -> Result<(), String> {
        let halt = RUNNER.with(|slot| {
            let mut slot = slot.borrow_mut();
            let runner = slot.as_mut().ok_or("scripted: a signal before start")?;
            Ok::<_, String>(runner.on_signal(&signal, &mut Host))
        })?;
        if let Some(halt) = halt {
            carry_out(halt);
        }
        Ok(())
    }

    fn stop() -> Result<(), String> {
        RUNNER.with(|slot| match slot.borrow_mut().as_mut() {
            Some(runner) => runner.stop(&mut Host),
            // Stopped before a start in this instance: the script is unknown, so end the
            // session it may have started in an earlier one; a missing session is no error.
            None => {
                if let Err(error) = tmux::kill(SESSION) {
                    log(
                        Level::Debug,
                        &format!("scripted: stop: {}", describe(&error)),
                    );
                }
            }
        });
        Ok(())
    }
}
