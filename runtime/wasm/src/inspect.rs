//! Reading a component's imports and exports without an engine: wasmparser validates it
//! and walks its top-level sections, which is cheap enough to run on every `plinth agents
//! add` and before every compile.

use serde::Serialize;
use sha2::{Digest, Sha256};
use wasmparser::{
    Parser, Payload, Validator, WasmFeatures, component_types::ComponentEntityType, types::TypesRef,
};

use crate::Capability;
use crate::errors::InspectError;
use crate::wit::WitVersion;

/// The export every adapter must provide (`plinth:agent/agent@` a version), and its
/// functions with their parameter counts.
const AGENT_EXPORT: &str = "agent";
const AGENT_FUNCS: [(&str, usize); 4] = [("info", 0), ("start", 2), ("on-signal", 1), ("stop", 0)];

/// What a component imports and exports, and whether it is a plinth adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ComponentSummary {
    /// sha256 of the component's bytes, lowercase hex.
    pub hash: String,
    /// The plinth capabilities it imports, in WIT order.
    pub capabilities: Vec<Capability>,
    /// Its `wasi:*` imports.
    pub wasi_imports: Vec<String>,
    /// Every other import (which plinth cannot satisfy).
    pub other_imports: Vec<String>,
    /// Its top-level export names.
    pub exports: Vec<String>,
    /// Whether it exports `plinth:agent/agent` (0.1.0 or 0.2.0) with the adapter's
    /// functions.
    pub is_adapter: bool,
    /// The version of `plinth:agent` it is built against, when it is an adapter.
    pub wit_version: Option<WitVersion>,
}

impl ComponentSummary {
    /// Reads any valid component, adapter or not; only bytes that are not a valid component
    /// are an error. Use [`ComponentSummary::ensure_adapter`] (or
    /// [`WasmHost::inspect`](crate::WasmHost::inspect), which does both) to require an adapter.
    pub fn read(bytes: &[u8]) -> Result<ComponentSummary, InspectError> {
        if !bytes.starts_with(b"\0asm") || bytes.len() < 8 {
            return Err(InspectError::NotWasm);
        }
        if Parser::is_core_wasm(bytes) {
            return Err(InspectError::CoreModule);
        }
        if !Parser::is_component(bytes) {
            return Err(InspectError::Invalid(
                "unknown WebAssembly binary version (neither a core module nor a component)"
                    .to_string(),
            ));
        }
        let types = Validator::new_with_features(WasmFeatures::default())
            .validate_all(bytes)
            .map_err(|e| InspectError::Invalid(e.to_string()))?;
        let (imports, exports) = top_level_names(bytes)?;
        let wit_version = exported_agent(&types.as_ref());

        let mut capabilities = Vec::new();
        let mut wasi_imports = Vec::new();
        let mut other_imports = Vec::new();
        for name in imports {
            match classify_import(&name, wit_version) {
                Import::Capability(c) => capabilities.push(c),
                Import::TypesOnly => {}
                Import::Wasi => wasi_imports.push(name),
                Import::Other => other_imports.push(name),
            }
        }
        capabilities.sort();
        capabilities.dedup();

        Ok(ComponentSummary {
            hash: sha256_hex(bytes),
            capabilities,
            wasi_imports,
            other_imports,
            exports,
            is_adapter: wit_version.is_some(),
            wit_version,
        })
    }

    /// Fails unless this component is an adapter whose imports plinth can satisfy.
    pub fn ensure_adapter(&self) -> Result<(), InspectError> {
        if !self.is_adapter {
            return Err(InspectError::NotAnAdapter {
                exports: self.exports.clone(),
            });
        }
        if !self.other_imports.is_empty() {
            return Err(InspectError::UnsupportedImports(self.other_imports.clone()));
        }
        Ok(())
    }

    /// Whether it imports any `wasi:*` interface, and so needs a WASI context.
    pub fn imports_wasi(&self) -> bool {
        !self.wasi_imports.is_empty()
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The names in the root component's import and export sections. Nested modules and
/// components have their own sections, which are not the component's interface.
fn top_level_names(bytes: &[u8]) -> Result<(Vec<String>, Vec<String>), InspectError> {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| InspectError::Invalid(e.to_string()))?;
        match payload {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(reader) if depth == 1 => {
                for import in reader {
                    let import = import.map_err(|e| InspectError::Invalid(e.to_string()))?;
                    imports.push(import.name.name.to_string());
                }
            }
            Payload::ComponentExportSection(reader) if depth == 1 => {
                for export in reader {
                    let export = export.map_err(|e| InspectError::Invalid(e.to_string()))?;
                    exports.push(export.name.name.to_string());
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

enum Import {
    Capability(Capability),
    TypesOnly,
    Wasi,
    Other,
}

/// An interface of another version than the component's agent export is not one it will be
/// given; a component that is no adapter is read in whichever version it names.
fn classify_import(name: &str, version: Option<WitVersion>) -> Import {
    if name.starts_with("wasi:") {
        return Import::Wasi;
    }
    let Some(rest) = WitVersion::split(name)
        .filter(|(_, v)| version.is_none_or(|version| *v == version))
        .map(|(rest, _)| rest)
    else {
        return Import::Other;
    };
    if rest == "types" {
        return Import::TypesOnly;
    }
    match rest.parse::<Capability>() {
        Ok(c) => Import::Capability(c),
        Err(_) => Import::Other,
    }
}

/// The version of the agent instance the root exports with each function at its arity,
/// the latest first. The full signature check happens when the host links it; this is
/// enough to tell an adapter (and its version) from something else.
fn exported_agent(types: &TypesRef<'_>) -> Option<WitVersion> {
    WitVersion::ALL
        .into_iter()
        .rev()
        .find(|v| exports_agent(types, &v.interface(AGENT_EXPORT)))
}

fn exports_agent(types: &TypesRef<'_>, name: &str) -> bool {
    let Some(item) = types.component_item_for_export(name) else {
        return false;
    };
    let ComponentEntityType::Instance(id) = item.ty else {
        return false;
    };
    let instance = &types[id];
    AGENT_FUNCS.iter().all(|(name, arity)| {
        matches!(
            instance.exports.get(*name).map(|i| i.ty),
            Some(ComponentEntityType::Func(f)) if types[f].params.len() == *arity
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_are_sorted_into_capabilities_wasi_and_others() {
        let v1 = Some(WitVersion::V0_1);
        assert!(matches!(
            classify_import("plinth:agent/tmux@0.1.0", v1),
            Import::Capability(Capability::Tmux)
        ));
        assert!(matches!(
            classify_import("plinth:agent/events@0.2.0", None),
            Import::Capability(Capability::Events)
        ));
        assert!(matches!(
            classify_import("plinth:agent/types@0.1.0", v1),
            Import::TypesOnly
        ));
        assert!(matches!(
            classify_import("wasi:cli/stdout@0.2.3", v1),
            Import::Wasi
        ));
        for other in [
            "plinth:agent/tmux@0.2.0",
            "plinth:agent/tmux@0.3.0",
            "plinth:agent/terminal@0.1.0",
            "plinth:agent/agent@0.1.0",
            "acme:net/http@1.0.0",
            "host-fn",
        ] {
            assert!(
                matches!(classify_import(other, v1), Import::Other),
                "{other}"
            );
        }
    }

    #[test]
    fn random_bytes_are_not_wasm() {
        assert_eq!(
            ComponentSummary::read(b"#!/bin/sh\necho hi\n"),
            Err(InspectError::NotWasm)
        );
        assert_eq!(ComponentSummary::read(b""), Err(InspectError::NotWasm));
    }

    #[test]
    fn a_core_module_is_named_as_such() {
        let module = wat::parse_str("(module (func (export \"f\")))").unwrap();
        assert_eq!(
            ComponentSummary::read(&module),
            Err(InspectError::CoreModule)
        );
    }

    #[test]
    fn a_truncated_component_is_invalid() {
        let component = wat::parse_str(
            r#"(component (core module $m (func (export "f"))) (core instance (instantiate $m)))"#,
        )
        .unwrap();
        let err = ComponentSummary::read(&component[..component.len() - 3]).unwrap_err();
        assert!(matches!(err, InspectError::Invalid(_)), "{err:?}");
    }
}
