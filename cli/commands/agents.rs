//! `plinth agents`: add, list, inspect and remove agent adapters. Works on the store
//! directly, so it needs no running server.

use std::path::Path;

use plinth_actors::agents::{AgentCatalog, AgentError, AgentListing, AgentView, Examined};
use plinth_actors::config::Config;
use plinth_server::Home;
use plinth_wasm::{Capability, HostConfig, WasmHost};

use crate::cli::AgentsCommand;
use crate::confirm::confirm;
use crate::failure::{Failure, code};
use crate::table::table;

/// `explicit_home`: the home given by `--home` or `PLINTH_HOME`, where the config file is.
pub async fn run(
    home: &Home,
    explicit_home: Option<&Path>,
    command: AgentsCommand,
) -> Result<i32, Failure> {
    let catalog = open_catalog(home, explicit_home)?;
    match command {
        AgentsCommand::Add {
            path,
            name,
            grants,
            yes,
            json,
        } => add(&catalog, &path, name.as_deref(), &grants, yes, json.json).await,
        AgentsCommand::List(json) => {
            let agents = catalog.list().map_err(failure)?;
            if json.json {
                print_json(&views(agents));
            } else {
                print!("{}", render_list(&agents));
            }
            Ok(0)
        }
        AgentsCommand::Inspect { name, json } => {
            let agent = catalog.get(&name).map_err(failure)?;
            if json.json {
                print_json(&AgentView::from(agent));
            } else {
                print!("{}", render_one(&agent));
            }
            Ok(0)
        }
        AgentsCommand::Remove { name, json } => {
            let removed = catalog.remove(&name).await.map_err(failure)?;
            if json.json {
                print_json(&removed);
            } else {
                println!("removed {} {}", removed.name, removed.agent_version);
            }
            Ok(0)
        }
    }
}

fn open_catalog(home: &Home, explicit_home: Option<&Path>) -> Result<AgentCatalog, Failure> {
    let (config, _) = Config::load(explicit_home).map_err(|err| Failure::other(err.to_string()))?;
    let store = super::home_store::open(home)?;
    let host = WasmHost::new(HostConfig {
        cache_dir: Some(home.wasm_cache_dir()),
        memory_limit: config.adapters.memory_limit_bytes(),
        call_deadline: config.adapters.call_deadline(),
        ..HostConfig::default()
    })
    .map_err(|err| Failure::other(err.to_string()))?;
    Ok(AgentCatalog::new(store, home.agents_dir(), host))
}

async fn add(
    catalog: &AgentCatalog,
    path: &Path,
    name: Option<&str>,
    grants: &[String],
    yes: bool,
    json: bool,
) -> Result<i32, Failure> {
    let bytes = std::fs::read(path)
        .map_err(|err| Failure::other(format!("cannot read {}: {err}", path.display())))?;
    let grants = parse_grants(grants)?;
    let examined = catalog
        .examine(&bytes)
        .map_err(|err| Failure::other(format!("{}: {err}", path.display())))?;
    let grants = grants.unwrap_or_else(|| examined.summary.capabilities.clone());
    let report = render_request(path, bytes.len(), &examined, &grants);
    if json {
        eprint!("{report}");
    } else {
        print!("{report}");
    }
    if !yes && !confirm("Add it with these grants?")? {
        println!("not added");
        return Ok(1);
    }
    let agent = catalog
        .add(&bytes, &examined, name, &grants)
        .await
        .map_err(failure)?;
    if json {
        print_json(&AgentView::from(catalog.get(&agent.name).map_err(failure)?));
    } else {
        println!("added {} {}", agent.name, agent.agent_version);
    }
    Ok(0)
}

/// `None` when no `--grant` was given: then everything it imports is granted on confirmation.
fn parse_grants(grants: &[String]) -> Result<Option<Vec<Capability>>, Failure> {
    if grants.is_empty() {
        return Ok(None);
    }
    grants
        .iter()
        .map(|g| {
            g.trim().parse::<Capability>().map_err(|_| {
                Failure::new(
                    code::USAGE,
                    format!(
                        "unknown capability {g:?}: the capabilities are {}",
                        Capability::names()
                    ),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// What the component is and asks for, shown before anything is stored.
fn render_request(path: &Path, size: usize, e: &Examined, grants: &[Capability]) -> String {
    let imports = e.summary.capabilities.clone();
    let not_granted: Vec<String> = imports
        .iter()
        .filter(|c| !grants.contains(c))
        .map(|c| c.to_string())
        .collect();
    let mut rows = vec![
        row(
            "component",
            format!("{} ({} KiB)", path.display(), size.div_ceil(1024)),
        ),
        row("adapter", format!("{} {}", e.name, e.version)),
        row("about", e.description.clone()),
        row(
            "imports",
            list_or_none(imports.iter().map(|c| c.to_string())),
        ),
    ];
    if !e.summary.wasi_imports.is_empty() {
        rows.push(row(
            "wasi",
            format!(
                "{} (sandboxed: no files, no network)",
                e.summary.wasi_imports.join(", ")
            ),
        ));
    }
    rows.push(row(
        "grants",
        list_or_none(grants.iter().map(|c| c.to_string())),
    ));
    let mut out = table(&rows);
    if !not_granted.is_empty() {
        out.push_str(&format!(
            "warning: not granted: {}. It will not load until every import is granted \
             (remove it and add it again with --grant).\n",
            not_granted.join(", ")
        ));
    }
    out
}

fn render_list(agents: &[AgentListing]) -> String {
    let mut rows = vec![
        ["NAME", "VERSION", "SOURCE", "IMPORTS", "GRANTS"]
            .map(String::from)
            .to_vec(),
    ];
    for a in agents {
        rows.push(vec![
            a.name.clone(),
            a.version.clone(),
            if a.builtin { "built-in" } else { "added" }.to_owned(),
            list_or_none(a.imports.iter().cloned()),
            if a.missing_grants().is_empty() {
                list_or_none(a.grants.iter().cloned())
            } else {
                format!(
                    "{} (missing {})",
                    list_or_none(a.grants.iter().cloned()),
                    a.missing_grants().join(", ")
                )
            },
        ]);
    }
    table(&rows)
}

fn render_one(a: &AgentListing) -> String {
    let mut rows = vec![
        row("name", a.name.clone()),
        row("version", a.version.clone()),
        row("about", a.description.clone()),
        row(
            "source",
            match a.added_at {
                Some(at) => format!("added {}", at.format("%Y-%m-%d %H:%M UTC")),
                None => "built-in".to_owned(),
            },
        ),
        row("sha256", a.hash.clone()),
        row("imports", list_or_none(a.imports.iter().cloned())),
        row("wasi", list_or_none(a.wasi_imports.iter().cloned())),
        row("grants", list_or_none(a.grants.iter().cloned())),
    ];
    let missing = a.missing_grants();
    rows.push(row(
        "loads",
        if missing.is_empty() {
            "yes".to_owned()
        } else {
            format!("no: {} not granted", missing.join(", "))
        },
    ));
    table(&rows)
}

/// As `GET /api/agents` gives them, `loads` included.
fn views(agents: Vec<AgentListing>) -> Vec<AgentView> {
    agents.into_iter().map(AgentView::from).collect()
}

fn row(label: &str, value: String) -> Vec<String> {
    vec![label.to_owned(), value]
}

fn list_or_none(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        "-".to_owned()
    } else {
        items.join(", ")
    }
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("plain data serializes")
    );
}

fn failure(err: AgentError) -> Failure {
    let code = match &err {
        AgentError::Store(_) => code::STORE,
        AgentError::BadName { .. }
        | AgentError::NameTaken { .. }
        | AgentError::NotFound { .. }
        | AgentError::BuiltinRemove { .. } => code::USAGE,
        _ => code::FAILED,
    };
    Failure::new(code, err.to_string())
}
