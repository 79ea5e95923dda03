//! `plinth image build`: makes the project's image ready ahead of its first task, showing
//! the build's steps as a progress bar (plain lines when stderr is not a terminal).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use plinth_actors::config::Config;
use plinth_actors::environments::{BuildEvent, DockerClient, ImagePlan, Images};
use plinth_actors::projects::repository_root;
use serde_json::json;

use crate::failure::{Failure, code};

/// A build's output line is cut to this many characters in the bar's message.
const MESSAGE_WIDTH: usize = 70;

pub async fn build(
    explicit_home: Option<&Path>,
    path: Option<PathBuf>,
    agent: Option<&str>,
    json: bool,
) -> Result<i32, Failure> {
    let (config, _) = Config::load(explicit_home).map_err(|err| Failure::other(err.to_string()))?;
    let dir = match path {
        Some(path) => path,
        None => std::env::current_dir()
            .map_err(|err| Failure::other(format!("cannot read the current directory: {err}")))?,
    };
    let root = repository_root(&dir).map_err(|err| Failure::new(code::USAGE, err.to_string()))?;
    let client = DockerClient::connect_to(&config.docker.socket)
        .await
        .map_err(|err| Failure::other(err.to_string()))?;
    let plan = match agent {
        Some(agent) => ImagePlan::for_project(&root, &config).for_agent(agent),
        None => ImagePlan::for_project(&root, &config),
    };
    if !json {
        eprintln!("image for {}: {}", root.display(), plan.describe());
    }
    let started = Instant::now();
    let mut progress = Progress::new(json);
    let mut events = Images::new(client).ensure_stream(plan);
    while let Some(event) = events.next().await {
        match event {
            Ok(BuildEvent::Ready(image)) => {
                progress.finish();
                let seconds = started.elapsed().as_secs_f64();
                if json {
                    let out = json!({"tag": image.tag, "id": image.id, "cached": image.cached,
                                     "seconds": seconds});
                    println!("{out}");
                } else if image.cached {
                    println!("{} is ready (already built)", image.tag);
                } else {
                    println!("{} is ready (built in {seconds:.0} s)", image.tag);
                }
                return Ok(0);
            }
            Ok(event) => progress.on(event),
            Err(err) => {
                progress.abandon();
                return Err(Failure::other(err.to_string()));
            }
        }
    }
    Err(Failure::other("the image build ended without a result"))
}

/// The bar of the build in progress (a project's image is two builds: its Dockerfile, then
/// plinth's layer), or plain step lines where no terminal shows a bar.
struct Progress {
    quiet: bool,
    terminal: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            quiet,
            terminal: std::io::stderr().is_terminal(),
            bar: None,
        }
    }

    fn on(&mut self, event: BuildEvent) {
        if self.quiet {
            return;
        }
        match event {
            BuildEvent::Started { tag } => {
                self.finish();
                if self.terminal {
                    let bar = ProgressBar::new(0).with_prefix(tag);
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} {prefix} [{bar:24}] {pos}/{len} {elapsed} {wide_msg}",
                        )
                        .expect("the template is valid")
                        .progress_chars("=> "),
                    );
                    bar.enable_steady_tick(Duration::from_millis(120));
                    self.bar = Some(bar);
                } else {
                    eprintln!("building {tag}");
                }
            }
            BuildEvent::Step {
                step,
                total,
                instruction,
            } => match &self.bar {
                Some(bar) => {
                    bar.set_length(u64::from(total));
                    bar.set_position(u64::from(step.saturating_sub(1)));
                    bar.set_message(shorten(&instruction));
                }
                None => eprintln!("  step {step}/{total}: {}", shorten(&instruction)),
            },
            BuildEvent::Output { line } => {
                if let Some(bar) = &self.bar
                    && !line.trim().is_empty()
                {
                    bar.set_message(shorten(line.trim()));
                }
            }
            BuildEvent::CacheHit { .. } | BuildEvent::Ready(_) => {}
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            if let Some(length) = bar.length() {
                bar.set_position(length);
            }
            bar.finish_and_clear();
        }
    }

    fn abandon(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.abandon();
        }
    }
}

fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let short: String = chars.by_ref().take(MESSAGE_WIDTH).collect();
    if chars.next().is_some() {
        format!("{short}…")
    } else {
        short
    }
}
