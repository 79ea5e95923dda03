//! `plinth dev …`: tools for developing plinth. `plinth dev mock-llm` serves a scripted
//! stand-in for the Anthropic Messages API, so an agent runs without a real model.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::broadcast::error::RecvError;

use plinth_mock_llm::{MockLlm, RecordedRequest, Script, Served};

use crate::cli::MockLlmArgs;
use crate::failure::{Failure, code};

pub async fn mock_llm(args: MockLlmArgs) -> Result<i32, Failure> {
    let script =
        Script::from_file(&args.script).map_err(|e| Failure::new(code::USAGE, e.to_string()))?;
    let mut record = match &args.record {
        Some(path) => Some(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| {
                    Failure::other(format!(
                        "cannot open {} to record into: {e}",
                        path.display()
                    ))
                })?,
        ),
        None => None,
    };
    let replies = script.replies.len();
    // Handlers go in before the URL is printed: whoever reads it may stop us at once.
    let mut interrupt = stop_signal(SignalKind::interrupt())?;
    let mut terminate = stop_signal(SignalKind::terminate())?;
    let mock = MockLlm::start(SocketAddr::new(args.bind, args.port), script)
        .await
        .map_err(|e| Failure::other(e.to_string()))?;
    let mut requests = mock.subscribe();
    println!("{}", mock.url());
    eprintln!(
        "mock-llm: serving {replies} scripted replies from {} at {}; Ctrl-C stops it",
        args.script.display(),
        mock.url()
    );
    loop {
        tokio::select! {
            _ = interrupt.recv() => break,
            _ = terminate.recv() => break,
            request = requests.recv() => match request {
                Ok(request) => report(&request, record.as_mut())?,
                // Only report lines were lost; serving goes on.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            },
        }
    }
    // A request answered just before the signal is reported too.
    while let Ok(request) = requests.try_recv() {
        report(&request, record.as_mut())?;
    }
    mock.shutdown()
        .await
        .map_err(|e| Failure::other(e.to_string()))?;
    Ok(0)
}

fn report(request: &RecordedRequest, record: Option<&mut File>) -> Result<(), Failure> {
    eprintln!(
        "mock-llm: {} {} -> {}",
        request.method,
        request.path,
        describe(request.served)
    );
    match record {
        Some(file) => append(file, request),
        None => Ok(()),
    }
}

fn stop_signal(kind: SignalKind) -> Result<Signal, Failure> {
    signal(kind).map_err(|e| Failure::other(format!("cannot listen for signals: {e}")))
}

fn describe(served: Served) -> String {
    match served {
        Served::Scripted(i) => format!("reply {}", i + 1),
        Served::Default => "default reply".to_string(),
        Served::CountTokens => "token count".to_string(),
        Served::Models => "model list".to_string(),
        Served::NotFound => "404".to_string(),
        Served::BadRequest => "400 (body not JSON)".to_string(),
    }
}

fn append(file: &mut File, request: &RecordedRequest) -> Result<(), Failure> {
    let line = serde_json::to_string(request).map_err(|e| Failure::other(e.to_string()))?;
    writeln!(file, "{line}").map_err(|e| Failure::other(format!("cannot record a request: {e}")))
}
