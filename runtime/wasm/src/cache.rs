//! Compiled adapters on disk, so a restart does not pay for Cranelift again.
//!
//! `Component::deserialize` trusts its input completely (it maps the bytes as executable
//! code), so nothing read from the cache directory reaches it unverified: each file carries
//! a header naming the component it was compiled from, the engine that compiled it and the
//! sha256 of the compiled bytes, all checked first. A file that fails any check is
//! recompiled and overwritten. Files are written to a temporary name and renamed, so a
//! reader never sees half a file from a concurrent or interrupted writer.

use std::fs;
use std::hash::Hasher;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::errors::LoadError;

const MAGIC: &[u8; 8] = b"PLNTHCW\x01";
const HEADER_LEN: usize = 8 + 32 + 32 + 8 + 32;

/// Counts of what loads found in the cache, since the host started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CacheStats {
    /// Loaded from a verified file.
    pub hits: u64,
    /// No file (or no cache directory): compiled.
    pub misses: u64,
    /// A file from another wasmtime version or engine configuration: recompiled.
    pub stale: u64,
    /// A file whose compiled bytes do not match its header: recompiled.
    pub corrupt: u64,
    /// A file that is not ours, or is for another component: recompiled.
    pub foreign: u64,
    /// Compiled fine but could not be written back (the load still succeeded).
    pub write_errors: u64,
}

#[derive(Default)]
pub(crate) struct CacheCounters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    corrupt: AtomicU64,
    foreign: AtomicU64,
    write_errors: AtomicU64,
}

impl CacheCounters {
    pub(crate) fn snapshot(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            stale: self.stale.load(Ordering::Relaxed),
            corrupt: self.corrupt.load(Ordering::Relaxed),
            foreign: self.foreign.load(Ordering::Relaxed),
            write_errors: self.write_errors.load(Ordering::Relaxed),
        }
    }

    pub(crate) fn count_miss(&self) {
        Self::bump(&self.misses);
    }

    fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a cache file turned out to be.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Valid,
    Missing,
    Stale,
    Corrupt,
    Foreign,
}

pub(crate) struct DiskCache {
    dir: PathBuf,
    /// sha256 of the wasmtime version and the engine's compatibility hash.
    engine_key: [u8; 32],
}

impl DiskCache {
    pub(crate) fn open(dir: &Path, engine: &Engine) -> io::Result<DiskCache> {
        fs::create_dir_all(dir)?;
        Ok(DiskCache {
            dir: dir.to_path_buf(),
            engine_key: engine_key(engine),
        })
    }

    pub(crate) fn path_for(&self, component_hash: &str) -> PathBuf {
        self.dir.join(format!("{component_hash}.cwasm"))
    }

    /// The compiled component, from the cache when a verified file is there, else compiled
    /// and written back.
    pub(crate) fn load_or_compile(
        &self,
        engine: &Engine,
        component_hash: &str,
        bytes: &[u8],
        counters: &CacheCounters,
    ) -> Result<Component, LoadError> {
        let path = self.path_for(component_hash);
        let component_digest: [u8; 32] = Sha256::digest(bytes).into();
        let (verdict, payload) = self.read(&path, &component_digest);
        if verdict == Verdict::Valid {
            // SAFETY: the payload is exactly what `Component::serialize` produced for this
            // component on an engine with this version and compatibility hash: the header
            // binds all three and the payload's sha256 matched.
            match unsafe { Component::deserialize(engine, &payload) } {
                Ok(component) => {
                    CacheCounters::bump(&counters.hits);
                    return Ok(component);
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "verified cache file did not deserialize; recompiling");
                    CacheCounters::bump(&counters.corrupt);
                }
            }
        } else {
            let counter = match verdict {
                Verdict::Missing => &counters.misses,
                Verdict::Stale => &counters.stale,
                Verdict::Corrupt => &counters.corrupt,
                Verdict::Foreign | Verdict::Valid => &counters.foreign,
            };
            if verdict != Verdict::Missing {
                tracing::info!(path = %path.display(), ?verdict, "recompiling over an unusable cache file");
            }
            CacheCounters::bump(counter);
        }

        let component = compile(engine, bytes)?;
        if let Err(e) = self.write(&path, &component_digest, &component) {
            tracing::warn!(path = %path.display(), error = %e, "cannot write the compiled adapter to the cache");
            CacheCounters::bump(&counters.write_errors);
        }
        Ok(component)
    }

    fn read(&self, path: &Path, component_digest: &[u8; 32]) -> (Verdict, Vec<u8>) {
        let file = match fs::read(path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (Verdict::Missing, vec![]),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot read cache file");
                return (Verdict::Foreign, vec![]);
            }
        };
        let verdict = self.verify(&file, component_digest);
        if verdict == Verdict::Valid {
            let mut payload = file;
            payload.drain(..HEADER_LEN);
            (verdict, payload)
        } else {
            (verdict, vec![])
        }
    }

    fn verify(&self, file: &[u8], component_digest: &[u8; 32]) -> Verdict {
        if file.len() < HEADER_LEN || &file[..8] != MAGIC {
            return Verdict::Foreign;
        }
        let (component, rest) = file[8..].split_at(32);
        let (engine, rest) = rest.split_at(32);
        let (len, rest) = rest.split_at(8);
        let (payload_digest, payload) = rest.split_at(32);
        if component != component_digest {
            return Verdict::Foreign;
        }
        if engine != self.engine_key {
            return Verdict::Stale;
        }
        let len = u64::from_le_bytes(len.try_into().expect("8 bytes"));
        if len != payload.len() as u64 || Sha256::digest(payload).as_slice() != payload_digest {
            return Verdict::Corrupt;
        }
        Verdict::Valid
    }

    fn write(
        &self,
        path: &Path,
        component_digest: &[u8; 32],
        component: &Component,
    ) -> io::Result<()> {
        let payload = component
            .serialize()
            .map_err(|e| io::Error::other(format!("{e:#}")))?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir)?;
        file.write_all(MAGIC)?;
        file.write_all(component_digest)?;
        file.write_all(&self.engine_key)?;
        file.write_all(&(payload.len() as u64).to_le_bytes())?;
        file.write_all(&Sha256::digest(&payload))?;
        file.write_all(&payload)?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

pub(crate) fn compile(engine: &Engine, bytes: &[u8]) -> Result<Component, LoadError> {
    Component::from_binary(engine, bytes).map_err(|e| LoadError::Compile(format!("{e:#}")))
}

/// The wasmtime version this crate was built with, from Cargo.lock.
pub(crate) const WASMTIME_VERSION: &str = env!("PLINTH_WASMTIME_VERSION");

fn engine_key(engine: &Engine) -> [u8; 32] {
    let mut hasher = Sha256Hasher(Sha256::new());
    hasher.0.update(b"wasmtime ");
    hasher.0.update(WASMTIME_VERSION.as_bytes());
    hasher.0.update(b"\0");
    std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
    hasher.0.finalize().into()
}

/// Feeds a `Hash` impl's bytes into sha256, which unlike `DefaultHasher` is stable across
/// processes and Rust releases.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasmtime_version_comes_from_the_lock_file() {
        assert!(WASMTIME_VERSION.starts_with("48."), "{WASMTIME_VERSION}");
    }

    #[test]
    fn the_engine_key_depends_on_the_engine_config() {
        let plain = Engine::default();
        let mut fuel = wasmtime::Config::new();
        fuel.consume_fuel(true);
        let fuel = Engine::new(&fuel).unwrap();
        assert_eq!(engine_key(&plain), engine_key(&Engine::default()));
        assert_ne!(engine_key(&plain), engine_key(&fuel));
    }
}
