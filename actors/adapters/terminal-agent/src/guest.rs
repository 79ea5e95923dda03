//! The component's exports, shared: [`export_agent!`](crate::export_agent) makes an agent's
//! `Guest`, which hands its calls here with its profile; the [`Driver`] lives between calls.

use std::cell::RefCell;

use guest_support::exports::plinth::agent::agent::{AdapterInfo, Signal, Task};
use guest_support::plinth::agent::log::{Level, log};
use guest_support::plinth::agent::tmux;
use guest_support::plinth::agent::types::Capability;

use crate::driver::{Driver, TaskInput};
use crate::host::Host;
use crate::launch::SESSION;
use crate::profile::Profile;

thread_local! {
    // A component instance is single-threaded; the driver lives as long as the instance.
    static DRIVER: RefCell<Option<Driver>> = const { RefCell::new(None) };
}

/// The adapter's info: what a terminal agent's adapter needs.
pub fn info(name: &str, description: &str) -> AdapterInfo {
    AdapterInfo {
        name: name.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        description: description.into(),
        capabilities: vec![
            Capability::Tmux,
            Capability::Environment,
            Capability::Events,
            Capability::Log,
            Capability::State,
        ],
    }
}

pub fn start(profile: Box<dyn Profile>, task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
    let name = profile.name();
    log(
        Level::Info,
        &format!("{name}: start task {} (restart {})", task.id, task.restarts),
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
    let driver = Driver::start(profile, input, saved.as_deref(), &mut Host)?;
    DRIVER.with(|slot| *slot.borrow_mut() = Some(driver));
    Ok(())
}

pub fn on_signal(signal: Signal) -> Result<(), String> {
    DRIVER.with(|slot| {
        let mut slot = slot.borrow_mut();
        let driver = slot.as_mut().ok_or("a signal before start")?;
        driver.on_signal(&signal, &mut Host);
        Ok(())
    })
}

pub fn stop() -> Result<(), String> {
    DRIVER.with(|slot| match slot.borrow_mut().as_mut() {
        Some(driver) => driver.stop(&mut Host),
        // Stopped before a start in this instance: end the session an earlier one began.
        None => {
            if tmux::kill(SESSION).is_err() {
                log(Level::Debug, "stop: no session to end");
            }
        }
    });
    Ok(())
}

/// Exports a terminal agent's adapter: `export_agent!("gemini", "Runs …", Gemini);` with
/// its name, its description and its [`Profile`]. Only in the component: the export names
/// are not symbols a host linker takes, and host builds exist only for the unit tests.
#[macro_export]
macro_rules! export_agent {
    ($name:literal, $description:literal, $profile:expr) => {
        #[cfg(target_arch = "wasm32")]
        mod component {
            use guest_support::exports::plinth::agent::agent::{AdapterInfo, Guest, Signal, Task};
            use $crate::guest;

            pub struct Adapter;

            impl Guest for Adapter {
                fn info() -> AdapterInfo {
                    guest::info($name, $description)
                }
                fn start(task: Task, saved: Option<Vec<u8>>) -> Result<(), String> {
                    guest::start(Box::new($profile), task, saved)
                }
                fn on_signal(signal: Signal) -> Result<(), String> {
                    guest::on_signal(signal)
                }
                fn stop() -> Result<(), String> {
                    guest::stop()
                }
            }

            guest_support::export!(Adapter);
        }
    };
}
