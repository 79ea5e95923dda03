//! Test components, made the way wit-bindgen makes them: a hand-written core module that
//! follows the canonical ABI, with the world embedded as metadata, turned into a component
//! by wit-component. Also recording capability implementations.

#![allow(dead_code)] // each test binary uses its own part of this

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use plinth_wasm::wit::{CapError, Level, Screen, SessionSpec};
use plinth_wasm::{LogCap, StateCap, TmuxCap};
use wit_component::{ComponentEncoder, StringEncoding};
use wit_parser::Resolve;

/// The frozen 0.1.0 WIT: these components are 0.1.0 adapters, which the host still runs.
pub fn wit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit/v0.1")
}

/// Just enough of WASI 0.2 for the WASI test guest: the real names and shapes of the few
/// functions it calls.
const WASI_IO: &str = r#"
package wasi:io@0.2.0;
interface error { resource error; }
interface streams {
    use error.{error};
    variant stream-error { last-operation-failed(error), closed }
    resource output-stream {
        blocking-write-and-flush: func(contents: list<u8>) -> result<_, stream-error>;
    }
}
"#;
const WASI_CLI: &str = r#"
package wasi:cli@0.2.0;
interface environment { get-environment: func() -> list<tuple<string, string>>; }
interface stdout {
    use wasi:io/streams@0.2.0.{output-stream};
    get-stdout: func() -> output-stream;
}
"#;
const WASI_FILESYSTEM: &str = r#"
package wasi:filesystem@0.2.0;
interface types { resource descriptor; }
interface preopens {
    use types.{descriptor};
    get-directories: func() -> list<tuple<descriptor, string>>;
}
"#;

const WORLDS: &str = r#"
package test:guests;

world probe {
    import plinth:agent/log@0.1.0;
    import plinth:agent/tmux@0.1.0;
    import plinth:agent/state@0.1.0;
    export plinth:agent/agent@0.1.0;
}

world bare {
    export plinth:agent/agent@0.1.0;
}

world wasi {
    import wasi:filesystem/preopens@0.2.0;
    import wasi:cli/environment@0.2.0;
    import wasi:cli/stdout@0.2.0;
    export plinth:agent/agent@0.1.0;
}

interface greeter { greet: func(name: string) -> string; }
world not-an-adapter {
    import plinth:agent/log@0.1.0;
    export greeter;
}

interface shell { run: func(cmd: string) -> u32; }
world smuggler {
    import shell;
    export plinth:agent/agent@0.1.0;
}
"#;

/// Encodes `core_wat` as a component of `world` (one of the worlds above).
pub fn component(world: &str, core_wat: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    resolve.push_dir(wit_dir()).expect("wit/ parses");
    for (name, text) in [
        ("io.wit", WASI_IO),
        ("cli.wit", WASI_CLI),
        ("filesystem.wit", WASI_FILESYSTEM),
    ] {
        resolve.push_str(name, text).expect("WASI subset parses");
    }
    let pkg = resolve
        .push_str("worlds.wit", WORLDS)
        .expect("test worlds parse");
    let world = resolve
        .select_world(&[pkg], Some(world))
        .expect("world exists");
    let mut module = wat::parse_str(core_wat).expect("core WAT parses");
    wit_component::embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8)
        .expect("metadata embeds");
    ComponentEncoder::default()
        .module(&module)
        .expect("module accepted")
        .validate(true)
        .encode()
        .expect("component encodes")
}

/// The bump allocator and the agent exports every test guest shares. `info` names the
/// adapter `wat-probe`; `start` misbehaves when the prompt starts with T (trap), S (spin)
/// or G (grow memory without end).
const COMMON: &str = r#"
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 0) "wat-probe")
  (data (i32.const 16) "0.1.0")
  (data (i32.const 32) "an adapter written in WAT")
  (data (i32.const 64) "\03\00\04")
  (data (i32.const 80) "boom")
  (data (i32.const 96) "x")
  (data (i32.const 112) "ok")
  (data (i32.const 128) "none")
  (data (i32.const 144) "preopens=? env=?\n")

  (func $realloc (export "cabi_realloc")
      (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p
      (i32.and
        (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
        (i32.xor (i32.sub (local.get $align) (i32.const 1)) (i32.const -1))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (block $fits
      (loop $grow
        (br_if $fits (i32.le_u (global.get $heap) (i32.shl (memory.size) (i32.const 16))))
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (br $grow)))
    (if (local.get $old)
      (then (memory.copy (local.get $p) (local.get $old) (local.get $old_size))))
    (local.get $p))

  (func $ok (result i32)
    (i32.store8 (i32.const 320) (i32.const 0))
    (i32.const 320))

  (func $err (param $p i32) (param $l i32) (result i32)
    (i32.store8 (i32.const 320) (i32.const 1))
    (i32.store (i32.const 324) (local.get $p))
    (i32.store (i32.const 328) (local.get $l))
    (i32.const 320))

  (func $misbehave (param $what i32)
    (if (i32.eq (local.get $what) (i32.const 84)) (then unreachable))
    (if (i32.eq (local.get $what) (i32.const 83)) (then (loop $spin (br $spin))))
    (if (i32.eq (local.get $what) (i32.const 71))
      (then (loop $grow (drop (memory.grow (i32.const 16))) (br $grow)))))

  (func (export "plinth:agent/agent@0.1.0#info") (result i32)
    (i32.store (i32.const 256) (i32.const 0))
    (i32.store (i32.const 260) (i32.const 9))
    (i32.store (i32.const 264) (i32.const 16))
    (i32.store (i32.const 268) (i32.const 5))
    (i32.store (i32.const 272) (i32.const 32))
    (i32.store (i32.const 276) (i32.const 25))
    (i32.store (i32.const 280) (i32.const 64))
    (i32.store (i32.const 284) (i32.const 3))
    (i32.const 256))

  ;; `start` has more than 16 flat parameters, so the canonical ABI passes them in memory:
  ;; the task record first (id at 0, prompt at 8, each a pointer and a length).
  (func (export "plinth:agent/agent@0.1.0#start") (param $args i32) (result i32)
    (if (i32.load (i32.add (local.get $args) (i32.const 12)))
      (then (call $misbehave
        (i32.load8_u (i32.load (i32.add (local.get $args) (i32.const 8)))))))
    (call $ok))

  (func (export "plinth:agent/agent@0.1.0#stop") (result i32)
    (call $ok))
"#;

/// A guest importing log, tmux and state. `on-signal`:
/// - `tick(n)`: calls `log(info, "x")` n times;
/// - `user-message(m)` by its first byte: T/S/G misbehave as in `start`; E returns
///   `err("boom")`; `K<name>` calls `tmux.kill(name)`; `V<blob>` saves the blob to state
///   and loads it back. K and V log what they got: `ok`, the loaded blob, `none`, or a
///   cap-error as its case number (0 access-denied ... 4 failed) followed by its message.
pub fn probe() -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "plinth:agent/log@0.1.0" "log" (func $log (param i32 i32 i32)))
  (import "plinth:agent/tmux@0.1.0" "kill" (func $kill (param i32 i32 i32)))
  (import "plinth:agent/state@0.1.0" "save" (func $save (param i32 i32 i32)))
  (import "plinth:agent/state@0.1.0" "load" (func $load (param i32)))
  {COMMON}

  (func $report (param $r i32)
    (local $len i32)
    (if (i32.eqz (i32.load8_u (local.get $r)))
      (then (call $log (i32.const 2) (i32.const 112) (i32.const 2)) (return)))
    (i32.store8 (i32.const 1024)
      (i32.add (i32.const 48) (i32.load8_u (i32.add (local.get $r) (i32.const 4)))))
    (local.set $len (i32.load (i32.add (local.get $r) (i32.const 12))))
    (if (i32.gt_u (local.get $len) (i32.const 2000)) (then (local.set $len (i32.const 2000))))
    (memory.copy (i32.const 1025) (i32.load (i32.add (local.get $r) (i32.const 8))) (local.get $len))
    (call $log (i32.const 2) (i32.const 1024) (i32.add (local.get $len) (i32.const 1))))

  (func (export "plinth:agent/agent@0.1.0#on-signal")
      (param $case i32) (param $a i64) (param $b i32)
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $p i32) (local $n i64) (local $c i32)
    (if (i32.eq (local.get $case) (i32.const 6))
      (then
        (local.set $n (local.get $a))
        (block $done
          (loop $more
            (br_if $done (i64.eqz (local.get $n)))
            (call $log (i32.const 2) (i32.const 96) (i32.const 1))
            (local.set $n (i64.sub (local.get $n) (i64.const 1)))
            (br $more)))
        (return (call $ok))))
    (if (i32.ne (local.get $case) (i32.const 4)) (then (return (call $ok))))
    (if (i32.eqz (local.get $b)) (then (return (call $ok))))
    (local.set $p (i32.wrap_i64 (local.get $a)))
    (local.set $c (i32.load8_u (local.get $p)))
    (call $misbehave (local.get $c))
    (if (i32.eq (local.get $c) (i32.const 69))
      (then (return (call $err (i32.const 80) (i32.const 4)))))
    (if (i32.eq (local.get $c) (i32.const 75))
      (then
        (call $kill (i32.add (local.get $p) (i32.const 1)) (i32.sub (local.get $b) (i32.const 1))
          (i32.const 384))
        (call $report (i32.const 384))
        (return (call $ok))))
    (if (i32.eq (local.get $c) (i32.const 86))
      (then
        (call $save (i32.add (local.get $p) (i32.const 1)) (i32.sub (local.get $b) (i32.const 1))
          (i32.const 384))
        (if (i32.load8_u (i32.const 384))
          (then (call $report (i32.const 384)) (return (call $ok))))
        (call $load (i32.const 384))
        (if (i32.load8_u (i32.const 384))
          (then (call $log (i32.const 2) (i32.load (i32.const 388)) (i32.load (i32.const 392))))
          (else (call $log (i32.const 2) (i32.const 128) (i32.const 4))))
        (return (call $ok))))
    (call $ok))
)"#
    );
    component("probe", &wat)
}

/// A guest with no imports at all: `on-signal` only misbehaves (T/S/G) or answers ok.
pub fn bare() -> Vec<u8> {
    let wat = format!(
        r#"(module
  {COMMON}
  (func (export "plinth:agent/agent@0.1.0#on-signal")
      (param $case i32) (param $a i64) (param $b i32)
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (if (i32.and (i32.eq (local.get $case) (i32.const 4)) (i32.ne (local.get $b) (i32.const 0)))
      (then (call $misbehave (i32.load8_u (i32.wrap_i64 (local.get $a))))))
    (call $ok))
)"#
    );
    component("bare", &wat)
}

/// A guest importing WASI: on any `user-message` it writes
/// `preopens=<directories it can see> env=<variables it has>` to its stdout.
pub fn wasi() -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "wasi:filesystem/preopens@0.2.0" "get-directories" (func $dirs (param i32)))
  (import "wasi:cli/environment@0.2.0" "get-environment" (func $env (param i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $stdout (result i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  {COMMON}
  (func $digit (param $n i32) (result i32)
    (i32.add (i32.const 48)
      (select (local.get $n) (i32.const 9) (i32.lt_u (local.get $n) (i32.const 10)))))
  (func (export "plinth:agent/agent@0.1.0#on-signal")
      (param $case i32) (param $a i64) (param $b i32)
      (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (if (i32.ne (local.get $case) (i32.const 4)) (then (return (call $ok))))
    (call $dirs (i32.const 400))
    (i32.store8 (i32.const 153) (call $digit (i32.load (i32.const 404))))
    (call $env (i32.const 400))
    (i32.store8 (i32.const 159) (call $digit (i32.load (i32.const 404))))
    (call $write (call $stdout) (i32.const 144) (i32.const 17) (i32.const 400))
    (call $ok))
)"#
    );
    component("wasi", &wat)
}

/// A component that exports something other than the agent interface.
pub fn not_an_adapter() -> Vec<u8> {
    component(
        "not-an-adapter",
        r#"(module
  (import "plinth:agent/log@0.1.0" "log" (func (param i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "test:guests/greeter#greet") (param i32 i32) (result i32) (i32.const 0))
)"#,
    )
}

/// An adapter that also imports an interface plinth does not provide.
pub fn smuggler() -> Vec<u8> {
    let wat = format!(
        r#"(module
  (import "test:guests/shell" "run" (func (param i32 i32) (result i32)))
  {COMMON}
  (func (export "plinth:agent/agent@0.1.0#on-signal")
      (param i32 i64 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (call $ok))
)"#
    );
    component("smuggler", &wat)
}

/// Every log line, in order.
#[derive(Default)]
pub struct Lines(pub Mutex<Vec<(Level, String)>>);

impl Lines {
    pub fn messages(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }
}

impl LogCap for Lines {
    fn log(&self, level: Level, message: &str) {
        self.0.lock().unwrap().push((level, message.to_string()));
    }
}

/// A state store in memory.
#[derive(Default)]
pub struct Memory(pub Mutex<Option<Vec<u8>>>);

impl StateCap for Memory {
    fn save(&self, blob: &[u8]) -> Result<(), CapError> {
        *self.0.lock().unwrap() = Some(blob.to_vec());
        Ok(())
    }

    fn load(&self) -> Option<Vec<u8>> {
        self.0.lock().unwrap().clone()
    }
}

/// A tmux whose `kill` runs a closure; everything else is `not-found`.
pub struct Tmux<F>(pub F);

impl<F: Fn(&str) -> Result<(), CapError> + Send + Sync> TmuxCap for Tmux<F> {
    fn create(&self, _: SessionSpec) -> Result<(), CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn paste(&self, _: &str, _: &str) -> Result<(), CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn send_keys(&self, _: &str, _: &[String]) -> Result<(), CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn capture_screen(&self, _: &str) -> Result<Screen, CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn capture_history(&self, _: &str, _: u32) -> Result<String, CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn foreground_command(&self, _: &str) -> Result<String, CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn is_alive(&self, _: &str) -> Result<bool, CapError> {
        Err(CapError::NotFound("test".into()))
    }
    fn kill(&self, session: &str) -> Result<(), CapError> {
        (self.0)(session)
    }
}

pub fn tmux(f: impl Fn(&str) -> Result<(), CapError> + Send + Sync + 'static) -> Arc<dyn TmuxCap> {
    Arc::new(Tmux(f))
}

impl Memory {
    pub fn load_blob(&self) -> Option<Vec<u8>> {
        self.0.lock().unwrap().clone()
    }
}
