//! The frozen-shape check: a stored version's shape never changes. Each version of a
//! [`Versioned`] type has its JSON Schema and a sample of its stored form frozen in files
//! next to the test that calls [`check_frozen`]. Editing an old version's struct changes its
//! schema and fails the check; the way forward is a new version with a migration, because
//! records of the old shape are already on users' disks.
//!
//! Files are `<KIND>.v<N>.schema.json` and `<KIND>.v<N>.sample.json`. A missing file is
//! written when the test runs with `PLINTH_BLESS=1` (then committed); an existing file is
//! never rewritten, so blessing cannot paper over a changed shape.

mod diff;
mod shape;

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::versioned::Versioned;

#[derive(Debug, thiserror::Error)]
pub enum FrozenError {
    #[error(
        "{kind}: schemas() must list versions 1, 2, …, n in order, oldest first; it lists {versions:?}"
    )]
    Versions { kind: String, versions: Vec<u32> },

    #[error(
        "{kind}: the test gives a sample for version {version}, which schemas() does not list: remove it or add the version"
    )]
    UnknownSampleVersion { kind: String, version: u32 },

    #[error("the frozen schema of {kind} v{version} is missing ({}): run this test once with PLINTH_BLESS=1 and commit the file", .path.display())]
    MissingSchema {
        kind: String,
        version: u32,
        path: PathBuf,
    },

    #[error("the stored shape of {kind} v{version} changed: add V{next} with a migration instead of editing V{version} (differs at {differences}; frozen in {})", .path.display())]
    ShapeChanged {
        kind: String,
        version: u32,
        next: u32,
        path: PathBuf,
        differences: String,
    },

    #[error("the frozen sample of {kind} v{version} is missing ({}): run this test once with PLINTH_BLESS=1 and commit the file", .path.display())]
    MissingSample {
        kind: String,
        version: u32,
        path: PathBuf,
    },

    #[error(
        "cannot freeze a sample of {kind} v{version}: the test gives none; add a sample of the stored form of v{version} to its samples"
    )]
    NoSampleGiven { kind: String, version: u32 },

    #[error(
        "the {origin} of {kind} v{version} {problem}: stored v{version} records must keep loading; if V{version} was edited, restore it and add a new version instead"
    )]
    BadSample {
        kind: String,
        version: u32,
        origin: String,
        problem: String,
    },

    #[error("{} is not valid JSON ({detail}): restore it from version control", .path.display())]
    BadFile { path: PathBuf, detail: String },

    #[error("cannot access {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Checks `T`'s frozen shapes in `dir`; writes missing files when `PLINTH_BLESS=1`.
/// `samples` are stored forms (the whole tagged enum) by version, used only to bless.
pub fn check_frozen<T: Versioned>(dir: &Path, samples: &[(u32, Value)]) -> Result<(), FrozenError> {
    let bless = std::env::var("PLINTH_BLESS").is_ok_and(|v| v == "1");
    check_frozen_with::<T>(dir, samples, bless)
}

/// [`check_frozen`] with blessing chosen by the caller instead of the environment (tests
/// of the check itself cannot safely set environment variables).
pub fn check_frozen_with<T: Versioned>(
    dir: &Path,
    samples: &[(u32, Value)],
    bless: bool,
) -> Result<(), FrozenError> {
    let kind = T::KIND;
    let schemas = T::schemas();
    let versions: Vec<u32> = schemas.iter().map(|(version, _)| *version).collect();
    if versions.is_empty() || !versions.iter().copied().eq(1..=versions.len() as u32) {
        return Err(FrozenError::Versions {
            kind: kind.into(),
            versions,
        });
    }
    if let Some((version, _)) = samples.iter().find(|(v, _)| !versions.contains(v)) {
        return Err(FrozenError::UnknownSampleVersion {
            kind: kind.into(),
            version: *version,
        });
    }
    if bless {
        std::fs::create_dir_all(dir).map_err(|source| FrozenError::Io {
            path: dir.into(),
            source,
        })?;
    }
    let next = versions.len() as u32 + 1;
    for (version, schema) in &schemas {
        let version = *version;
        check_schema(dir, kind, version, next, schema, bless)?;
        check_sample::<T>(dir, version, samples, bless)?;
    }
    Ok(())
}

fn check_schema(
    dir: &Path,
    kind: &str,
    version: u32,
    next: u32,
    schema: &schemars::Schema,
    bless: bool,
) -> Result<(), FrozenError> {
    let path = dir.join(format!("{kind}.v{version}.schema.json"));
    let current = shape::stored_shape(schema.as_value());
    match read_json(&path)? {
        Some(frozen) => {
            let frozen = shape::stored_shape(&frozen);
            if frozen != current {
                return Err(FrozenError::ShapeChanged {
                    kind: kind.into(),
                    version,
                    next,
                    differences: diff::describe(&frozen, &current),
                    path,
                });
            }
            Ok(())
        }
        None if bless => write_new_json(&path, &current),
        None => Err(FrozenError::MissingSchema {
            kind: kind.into(),
            version,
            path,
        }),
    }
}

fn check_sample<T: Versioned>(
    dir: &Path,
    version: u32,
    samples: &[(u32, Value)],
    bless: bool,
) -> Result<(), FrozenError> {
    let kind = T::KIND;
    let path = dir.join(format!("{kind}.v{version}.sample.json"));
    if let Some(frozen) = read_json(&path)? {
        let origin = format!("frozen sample {}", path.display());
        return sample_loads::<T>(version, frozen, &origin);
    }
    if !bless {
        return Err(FrozenError::MissingSample {
            kind: kind.into(),
            version,
            path,
        });
    }
    let Some((_, given)) = samples.iter().find(|(v, _)| *v == version) else {
        return Err(FrozenError::NoSampleGiven {
            kind: kind.into(),
            version,
        });
    };
    // A sample that does not load would freeze a broken promise.
    sample_loads::<T>(version, given.clone(), "sample given to check_frozen")?;
    write_new_json(&path, given)
}

/// The sample decodes as `T`, is of `version`, and migrates to the latest.
fn sample_loads<T: Versioned>(
    version: u32,
    sample: Value,
    origin: &str,
) -> Result<(), FrozenError> {
    let bad = |problem: String| FrozenError::BadSample {
        kind: T::KIND.into(),
        version,
        origin: origin.into(),
        problem,
    };
    let value: T =
        serde_json::from_value(sample).map_err(|e| bad(format!("no longer decodes: {e}")))?;
    let found = value.version();
    if found != version {
        return Err(bad(format!("decodes as version {found}")));
    }
    catch_unwind(AssertUnwindSafe(|| drop(value.into_latest())))
        .map_err(|_| bad("panics when migrated to the latest version".into()))
}

fn read_json(path: &Path) -> Result<Option<Value>, FrozenError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(FrozenError::Io {
                path: path.into(),
                source,
            });
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| FrozenError::BadFile {
            path: path.into(),
            detail: e.to_string(),
        })
}

/// Writes `value` to a file that must not exist yet: blessing never replaces a frozen file.
fn write_new_json(path: &Path, value: &Value) -> Result<(), FrozenError> {
    let io = |source| FrozenError::Io {
        path: path.into(),
        source,
    };
    let mut text = serde_json::to_string_pretty(value).map_err(|e| io(e.into()))?;
    text.push('\n');
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    eprintln!("blessed {}", path.display());
    Ok(())
}
