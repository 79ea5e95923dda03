//! The compiled-adapter cache: hits when it can, and never trusts a file that is stale,
//! corrupt or not its own.

mod support;

use std::fs;
use std::path::Path;

use plinth_wasm::{CacheStats, Capabilities, HostConfig, WasmHost};

fn host(dir: &Path) -> WasmHost {
    WasmHost::new(HostConfig {
        cache_dir: Some(dir.to_path_buf()),
        ..HostConfig::default()
    })
    .unwrap()
}

/// Loads and runs the bare guest, proving whatever was loaded is usable.
fn load_and_run(host: &WasmHost, bytes: &[u8]) {
    let adapter = host.load(bytes, &[]).unwrap();
    let mut instance = adapter.instantiate(Capabilities::none("t1")).unwrap();
    assert_eq!(instance.info().unwrap().name, "wat-probe");
}

fn stats(hits: u64, misses: u64) -> CacheStats {
    CacheStats {
        hits,
        misses,
        ..CacheStats::default()
    }
}

#[test]
fn a_second_load_is_a_hit_even_from_another_host() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = support::bare();
    let first = host(dir.path());
    load_and_run(&first, &bytes);
    assert_eq!(first.cache_stats(), stats(0, 1));
    load_and_run(&first, &bytes);
    assert_eq!(first.cache_stats(), stats(1, 1));

    let hash = WasmHost::inspect(&bytes).unwrap().hash;
    let path = first.cache_path(&hash).unwrap();
    assert!(path.is_file());
    assert_eq!(path.file_name().unwrap(), format!("{hash}.cwasm").as_str());
    // Only the finished file is left: temporaries were renamed into place.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);

    let second = host(dir.path());
    load_and_run(&second, &bytes);
    assert_eq!(second.cache_stats(), stats(1, 0));
}

#[test]
fn a_file_from_another_engine_configuration_is_stale_and_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = support::bare();
    load_and_run(&host(dir.path()), &bytes);

    // Fuel metering changes the generated code, so the engine key differs.
    let fuelled = WasmHost::new(HostConfig {
        cache_dir: Some(dir.path().to_path_buf()),
        fuel: Some(1_000_000),
        ..HostConfig::default()
    })
    .unwrap();
    load_and_run(&fuelled, &bytes);
    assert_eq!(
        fuelled.cache_stats(),
        CacheStats {
            stale: 1,
            ..CacheStats::default()
        }
    );
    // Overwritten: the fuelled host now hits, and the plain one finds it stale.
    load_and_run(&fuelled, &bytes);
    assert_eq!(fuelled.cache_stats().hits, 1);
    let plain = host(dir.path());
    load_and_run(&plain, &bytes);
    assert_eq!(plain.cache_stats().stale, 1);
}

#[test]
fn a_corrupt_file_is_recompiled_and_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = support::bare();
    let writer = host(dir.path());
    load_and_run(&writer, &bytes);
    let path = writer
        .cache_path(&WasmHost::inspect(&bytes).unwrap().hash)
        .unwrap();

    // One flipped bit deep in the compiled code.
    let mut file = fs::read(&path).unwrap();
    let at = file.len() - 100;
    file[at] ^= 0x01;
    fs::write(&path, &file).unwrap();
    let reader = host(dir.path());
    load_and_run(&reader, &bytes);
    assert_eq!(
        reader.cache_stats(),
        CacheStats {
            corrupt: 1,
            ..CacheStats::default()
        }
    );
    // The rewrite is good again.
    load_and_run(&reader, &bytes);
    assert_eq!(reader.cache_stats().hits, 1);

    // Truncated, as after a crash mid-write by something that did not rename.
    let file = fs::read(&path).unwrap();
    fs::write(&path, &file[..file.len() / 2]).unwrap();
    let reader = host(dir.path());
    load_and_run(&reader, &bytes);
    assert_eq!(reader.cache_stats().corrupt, 1);
}

#[test]
fn a_foreign_file_is_never_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = support::bare();
    let path = host(dir.path())
        .cache_path(&WasmHost::inspect(&bytes).unwrap().hash)
        .unwrap();

    // Not ours at all.
    fs::write(&path, b"\x7fELF not a cache file").unwrap();
    let h = host(dir.path());
    load_and_run(&h, &bytes);
    assert_eq!(h.cache_stats().foreign, 1);
    load_and_run(&h, &bytes);
    assert_eq!(h.cache_stats().hits, 1);

    // Ours, valid, but compiled from another component and placed under this name.
    let other = support::probe();
    let other_path = h
        .cache_path(&WasmHost::inspect(&other).unwrap().hash)
        .unwrap();
    h.load(&other, &plinth_wasm::Capability::ALL).unwrap();
    fs::copy(&other_path, &path).unwrap();
    let h = host(dir.path());
    load_and_run(&h, &bytes);
    assert_eq!(
        h.cache_stats(),
        CacheStats {
            foreign: 1,
            ..CacheStats::default()
        }
    );
}

#[test]
fn without_a_cache_dir_every_load_compiles() {
    let host = WasmHost::new(HostConfig::default()).unwrap();
    let bytes = support::bare();
    load_and_run(&host, &bytes);
    load_and_run(&host, &bytes);
    assert_eq!(host.cache_stats(), stats(0, 2));
    assert!(host.cache_path("abc").is_none());
}

#[test]
fn an_unusable_cache_dir_is_an_error_that_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    fs::write(&file, b"").unwrap();
    let err = WasmHost::new(HostConfig {
        cache_dir: Some(file.join("cache")),
        ..HostConfig::default()
    })
    .err()
    .expect("a file is in the way");
    assert!(err.to_string().contains("compiled-adapter cache"), "{err}");
}
