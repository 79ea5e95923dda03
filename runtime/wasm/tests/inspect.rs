//! What `inspect` and `load` say about components that are, or are not, adapters.

mod support;

use plinth_wasm::{Capability, ComponentSummary, HostConfig, InspectError, LoadError, WasmHost};

#[test]
fn random_bytes_are_not_wasm() {
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let err = WasmHost::inspect(&noise).unwrap_err();
    assert_eq!(err, InspectError::NotWasm);
    assert!(err.to_string().contains("not WebAssembly"), "{err}");
}

#[test]
fn a_core_module_is_told_how_to_become_a_component() {
    let module = wat::parse_str(r#"(module (func (export "run")))"#).unwrap();
    let err = WasmHost::inspect(&module).unwrap_err();
    assert_eq!(err, InspectError::CoreModule);
    assert!(err.to_string().contains("wasm32-wasip2"), "{err}");
}

#[test]
fn a_component_exporting_another_interface_is_not_an_adapter() {
    let bytes = support::not_an_adapter();
    let summary = ComponentSummary::read(&bytes).unwrap();
    assert!(!summary.is_adapter);
    assert_eq!(summary.capabilities, vec![Capability::Log]);
    assert_eq!(summary.exports, vec!["test:guests/greeter".to_string()]);

    let err = WasmHost::inspect(&bytes).unwrap_err();
    assert_eq!(
        err,
        InspectError::NotAnAdapter {
            exports: vec!["test:guests/greeter".into()]
        }
    );
    assert!(
        err.to_string().contains("plinth:agent/agent@0.1.0"),
        "{err}"
    );
}

#[test]
fn a_component_exporting_the_agent_interface_with_a_wrong_function_is_not_an_adapter() {
    // Same names as the agent interface, but `stop` takes an argument.
    let bytes = wat::parse_str(
        r#"(component
  (core module $m
    (func (export "info"))
    (func (export "stop") (param i32)))
  (core instance $i (instantiate $m))
  (func $info (canon lift (core func $i "info")))
  (func $stop (param "why" u32) (canon lift (core func $i "stop")))
  (instance $agent
    (export "info" (func $info))
    (export "start" (func $info))
    (export "on-signal" (func $info))
    (export "stop" (func $stop)))
  (export "plinth:agent/agent@0.1.0" (instance $agent)))"#,
    )
    .unwrap();
    let err = WasmHost::inspect(&bytes).unwrap_err();
    assert!(matches!(err, InspectError::NotAnAdapter { .. }), "{err:?}");
}

#[test]
fn imports_beyond_plinth_and_wasi_are_refused() {
    let err = WasmHost::inspect(&support::smuggler()).unwrap_err();
    assert_eq!(
        err,
        InspectError::UnsupportedImports(vec!["test:guests/shell".into()])
    );
    assert!(err.to_string().contains("test:guests/shell"), "{err}");
}

#[test]
fn an_adapter_lists_its_capabilities_wasi_imports_and_hash() {
    let probe = support::probe();
    let summary = WasmHost::inspect(&probe).unwrap();
    assert!(summary.is_adapter);
    assert_eq!(
        summary.capabilities,
        vec![Capability::Tmux, Capability::Log, Capability::State]
    );
    assert!(summary.wasi_imports.is_empty());
    assert!(summary.other_imports.is_empty());
    assert_eq!(
        summary.exports,
        vec!["plinth:agent/agent@0.1.0".to_string()]
    );
    assert_eq!(summary.hash.len(), 64);
    assert_eq!(summary, WasmHost::inspect(&probe).unwrap());

    let wasi = WasmHost::inspect(&support::wasi()).unwrap();
    assert!(wasi.capabilities.is_empty());
    assert!(
        wasi.wasi_imports
            .iter()
            .any(|i| i == "wasi:filesystem/preopens@0.2.0"),
        "{:?}",
        wasi.wasi_imports
    );
}

#[test]
fn loading_needs_every_imported_capability_granted() {
    let host = WasmHost::new(HostConfig::default()).unwrap();
    let err = host
        .load(&support::probe(), &[Capability::Log, Capability::State])
        .err()
        .expect("tmux is not granted");
    match &err {
        LoadError::NotGranted {
            capability,
            missing,
        } => {
            assert_eq!(*capability, Capability::Tmux);
            assert_eq!(missing, &vec![Capability::Tmux]);
        }
        other => panic!("expected NotGranted, got {other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("`tmux`"), "{text}");
    assert!(
        text.contains("plinth agents add PATH --grant tmux"),
        "{text}"
    );

    let err = host
        .load(&support::probe(), &[])
        .err()
        .expect("nothing is granted");
    assert!(
        err.to_string().contains("--grant log --grant state"),
        "{err}"
    );

    // Granting more than it imports is fine.
    host.load(&support::probe(), &Capability::ALL).unwrap();
    host.load(&support::bare(), &[]).unwrap();
}

#[test]
fn load_refuses_what_inspect_refuses() {
    let host = WasmHost::new(HostConfig::default()).unwrap();
    let module = wat::parse_str("(module)").unwrap();
    assert!(matches!(
        host.load(&module, &Capability::ALL),
        Err(LoadError::Inspect(InspectError::CoreModule))
    ));
    assert!(matches!(
        host.load(&support::not_an_adapter(), &Capability::ALL),
        Err(LoadError::Inspect(InspectError::NotAnAdapter { .. }))
    ));
}
