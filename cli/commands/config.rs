//! `plinth config`: the effective configuration, each value with where it came from.

use std::io::Write;
use std::path::Path;

use plinth_actors::config::{Config, Sources};

use crate::failure::Failure;
use crate::table::table;

pub fn run(explicit_home: Option<&Path>, json: bool) -> Result<i32, Failure> {
    let (_, sources) =
        Config::load(explicit_home).map_err(|err| Failure::other(err.to_string()))?;
    if json {
        let text = serde_json::to_string_pretty(&sources)
            .map_err(|err| Failure::other(format!("cannot print the configuration: {err}")))?;
        print_out(&format!("{text}\n"));
    } else {
        print_out(&render(&sources));
    }
    Ok(0)
}

/// A reader that stops early (`| head`) is not an error worth a panic.
fn print_out(text: &str) {
    let _ = std::io::stdout().write_all(text.as_bytes());
}

fn render(sources: &Sources) -> String {
    let found = if sources.file_found {
        ""
    } else {
        " (not found: defaults apply)"
    };
    let mut rows = vec![vec![
        "KEY".to_string(),
        "VALUE".to_string(),
        "SOURCE".to_string(),
        "ENV".to_string(),
    ]];
    for setting in &sources.settings {
        let value = match &setting.value {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => "(none)".to_string(),
            other => other.to_string(),
        };
        rows.push(vec![
            setting.key.to_string(),
            value,
            setting.source.to_string(),
            setting.variables.join(", "),
        ]);
    }
    format!(
        "config file: {}{found}\n\n{}",
        sources.file.display(),
        table(&rows)
    )
}
