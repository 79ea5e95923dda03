//! The agents plinth can run: the adapters built into the binary and the ones the user added.
//!
//! It reads and writes the store directly, so `plinth agents ...` works with or without a
//! running server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use plinth_store::{NewEvent, Store, Versioned};
use plinth_wasm::{Capabilities, Capability, ComponentSummary, LoadedAdapter, WasmHost};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::AgentError;
use super::name::check_name;
use super::record::{InstalledAgent, InstalledAgentRecord, KEY_PREFIX, key};
use crate::builtin_adapters::{builtin_adapters, missing_builtins};

/// A component that was checked and asked who it is, before anything is stored.
#[derive(Clone, Debug)]
pub struct Examined {
    pub summary: ComponentSummary,
    pub name: String,
    pub version: String,
    pub description: String,
    /// What the adapter's `info` says it needs (its imports are what it can actually call).
    pub wants: Vec<Capability>,
}

/// One agent as `plinth agents list` shows it.
#[derive(Clone, Debug, Serialize)]
pub struct AgentListing {
    pub name: String,
    pub version: String,
    pub description: String,
    pub builtin: bool,
    pub imports: Vec<String>,
    pub wasi_imports: Vec<String>,
    pub grants: Vec<String>,
    pub hash: String,
    pub added_at: Option<DateTime<Utc>>,
}

impl AgentListing {
    /// The capabilities it imports that were not granted: it loads only when this is empty.
    pub fn missing_grants(&self) -> Vec<String> {
        self.imports
            .iter()
            .filter(|i| !self.grants.contains(i))
            .cloned()
            .collect()
    }
}

#[derive(Clone)]
pub struct AgentCatalog {
    store: Store,
    dir: PathBuf,
    host: WasmHost,
    /// Built-ins are examined (compiled, asked for their info) once per catalog.
    builtins: Arc<Mutex<BTreeMap<&'static str, Examined>>>,
}

impl AgentCatalog {
    /// `dir` holds the added components (`$PLINTH_HOME/agents`).
    pub fn new(store: Store, dir: PathBuf, host: WasmHost) -> Self {
        AgentCatalog {
            store,
            dir,
            host,
            builtins: Arc::default(),
        }
    }

    pub fn host(&self) -> &WasmHost {
        &self.host
    }

    /// Checks that `bytes` is an adapter component and asks it for its info. Every
    /// capability it imports is linked but answers access-denied, so asking is harmless.
    pub fn examine(&self, bytes: &[u8]) -> Result<Examined, AgentError> {
        // Loading validates and inspects the component; granting everything links exactly
        // what it imports, so its summary comes from the load rather than a second pass.
        let loaded = self.host.load(bytes, &Capability::ALL)?;
        let summary = loaded.summary().clone();
        let mut instance = loaded
            .instantiate(Capabilities::none("examine"))
            .map_err(AgentError::Info)?;
        let info = instance.info().map_err(AgentError::Info)?;
        Ok(Examined {
            summary,
            name: info.name,
            version: info.version,
            description: info.description,
            wants: info
                .capabilities
                .into_iter()
                .map(Capability::from)
                .collect(),
        })
    }

    /// Stores an examined component under `name` (its own name when `None`) with `grants`.
    pub async fn add(
        &self,
        bytes: &[u8],
        examined: &Examined,
        name: Option<&str>,
        grants: &[Capability],
    ) -> Result<InstalledAgent, AgentError> {
        let name = name.unwrap_or(&examined.name).to_owned();
        check_name(&name)?;
        let builtin = builtin_adapters().iter().any(|b| b.name == name)
            || missing_builtins().contains(&name.as_str());
        if builtin
            || self
                .store
                .get_state::<InstalledAgentRecord>(&key(&name))?
                .is_some()
        {
            return Err(AgentError::NameTaken { name, builtin });
        }
        let file = self.file_of(&examined.summary.hash);
        write_component(&self.dir, &file, bytes)?;
        let mut grants: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
        grants.sort();
        grants.dedup();
        let agent = InstalledAgent {
            name: name.clone(),
            agent_version: examined.version.clone(),
            description: examined.description.clone(),
            hash: examined.summary.hash.clone(),
            imports: names(&examined.summary.capabilities),
            wasi_imports: examined.summary.wasi_imports.clone(),
            grants,
            added_at: Utc::now(),
        };
        self.store
            .put_state(
                &key(&name),
                &InstalledAgentRecord::from_latest(agent.clone()),
            )
            .await?;
        self.store
            .append(NewEvent::new(
                "agent.added",
                serde_json::to_value(&agent).unwrap_or_default(),
            ))
            .await?;
        Ok(agent)
    }

    /// Built-ins first (by name), then the added ones (by name).
    pub fn list(&self) -> Result<Vec<AgentListing>, AgentError> {
        let mut out = Vec::new();
        for builtin in builtin_adapters() {
            out.push(self.builtin_listing(builtin.name, builtin.bytes)?);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        let mut added: Vec<InstalledAgent> = self
            .store
            .list_state::<InstalledAgentRecord>(KEY_PREFIX)?
            .into_iter()
            .map(|(_, a)| a)
            .collect();
        added.sort_by(|a, b| a.name.cmp(&b.name));
        out.extend(added.into_iter().map(installed_listing));
        Ok(out)
    }

    pub fn get(&self, name: &str) -> Result<AgentListing, AgentError> {
        if let Some(builtin) = builtin_adapters().iter().find(|b| b.name == name) {
            return self.builtin_listing(builtin.name, builtin.bytes);
        }
        if missing_builtins().contains(&name) {
            return Err(AgentError::BuiltinMissing {
                name: name.to_owned(),
            });
        }
        match self.store.get_state::<InstalledAgentRecord>(&key(name))? {
            Some(agent) => Ok(installed_listing(agent)),
            None => Err(self.not_found(name)),
        }
    }

    /// Removes an added agent and its component file (unless another name shares it).
    pub async fn remove(&self, name: &str) -> Result<InstalledAgent, AgentError> {
        if builtin_adapters().iter().any(|b| b.name == name) || missing_builtins().contains(&name) {
            return Err(AgentError::BuiltinRemove {
                name: name.to_owned(),
            });
        }
        let Some(agent) = self.store.get_state::<InstalledAgentRecord>(&key(name))? else {
            return Err(self.not_found(name));
        };
        self.store.delete_state(&key(name)).await?;
        let shared = self
            .store
            .list_state::<InstalledAgentRecord>(KEY_PREFIX)?
            .iter()
            .any(|(_, other)| other.hash == agent.hash);
        if !shared {
            let file = self.file_of(&agent.hash);
            if let Err(err) = std::fs::remove_file(&file)
                && err.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(path = %file.display(), %err, "cannot remove the component file");
            }
        }
        self.store
            .append(NewEvent::new(
                "agent.removed",
                serde_json::json!({ "name": agent.name, "hash": agent.hash }),
            ))
            .await?;
        Ok(agent)
    }

    /// The agent's component, compiled (or from the cache) and linked with its grants.
    /// Fails, naming the capability, when it imports one that was not granted.
    pub fn load(&self, name: &str) -> Result<LoadedAdapter, AgentError> {
        if let Some(builtin) = builtin_adapters().iter().find(|b| b.name == name) {
            // Built-ins ship with plinth: they get what they import.
            return Ok(self.host.load(builtin.bytes, &Capability::ALL)?);
        }
        let listing = self.get(name)?;
        let path = self.file_of(&listing.hash);
        let bytes = std::fs::read(&path).map_err(|_| AgentError::FileChanged {
            name: name.to_owned(),
            path: path.display().to_string(),
        })?;
        if hex::encode(Sha256::digest(&bytes)) != listing.hash {
            return Err(AgentError::FileChanged {
                name: name.to_owned(),
                path: path.display().to_string(),
            });
        }
        let grants: Vec<Capability> = listing
            .grants
            .iter()
            .filter_map(|g| g.parse().ok())
            .collect();
        Ok(self.host.load(&bytes, &grants)?)
    }

    fn builtin_listing(
        &self,
        name: &'static str,
        bytes: &'static [u8],
    ) -> Result<AgentListing, AgentError> {
        let examined = self.examine_builtin(name, bytes)?;
        let imports = names(&examined.summary.capabilities);
        Ok(AgentListing {
            name: name.to_owned(),
            version: examined.version,
            description: examined.description,
            builtin: true,
            grants: imports.clone(),
            imports,
            wasi_imports: examined.summary.wasi_imports,
            hash: examined.summary.hash,
            added_at: None,
        })
    }

    fn examine_builtin(
        &self,
        name: &'static str,
        bytes: &'static [u8],
    ) -> Result<Examined, AgentError> {
        if let Some(done) = self.builtins.lock().expect("builtins lock").get(name) {
            return Ok(done.clone());
        }
        let examined = self.examine(bytes)?;
        self.builtins
            .lock()
            .expect("builtins lock")
            .insert(name, examined.clone());
        Ok(examined)
    }

    fn not_found(&self, name: &str) -> AgentError {
        let mut known: Vec<String> = builtin_adapters()
            .iter()
            .map(|b| b.name.to_owned())
            .collect();
        if let Ok(added) = self.store.list_state::<InstalledAgentRecord>(KEY_PREFIX) {
            known.extend(added.into_iter().map(|(_, a)| a.name));
        }
        AgentError::NotFound {
            name: name.to_owned(),
            known,
        }
    }

    fn file_of(&self, hash: &str) -> PathBuf {
        self.dir.join(format!("{hash}.wasm"))
    }
}

fn installed_listing(agent: InstalledAgent) -> AgentListing {
    AgentListing {
        name: agent.name,
        version: agent.agent_version,
        description: agent.description,
        builtin: false,
        imports: agent.imports,
        wasi_imports: agent.wasi_imports,
        grants: agent.grants,
        hash: agent.hash,
        added_at: Some(agent.added_at),
    }
}

fn names(caps: &[Capability]) -> Vec<String> {
    caps.iter().map(|c| c.to_string()).collect()
}

/// Writes through a temporary file and a rename, so a crash never leaves half a component
/// under its hash.
fn write_component(dir: &Path, file: &Path, bytes: &[u8]) -> Result<(), AgentError> {
    let io = |what, path: &Path| {
        let path = path.display().to_string();
        move |source| AgentError::Io { what, path, source }
    };
    std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
    let tmp = file.with_extension("wasm.tmp");
    std::fs::write(&tmp, bytes).map_err(io("cannot write", &tmp))?;
    std::fs::rename(&tmp, file).map_err(io("cannot write", file))
}
