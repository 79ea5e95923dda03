//! Starting, stopping and failing cleanly: signals, the server file, bad stores.

mod support;

use std::time::Duration;

use support::{Home, stderr};

/// How fast a stop is, is the foundation bench's figure (a few ms); here, on a machine
/// busy with the rest of the suite, only that it stops, cleanly, in bounded time.
#[test]
fn sigterm_and_sigint_stop_the_server_cleanly_and_remove_the_server_file() {
    for signal in [libc::SIGTERM, libc::SIGINT] {
        let home = Home::new();
        let mut server = home.serve();
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(home.server_file()).unwrap().permissions(),
        );
        assert_eq!(
            mode & 0o777,
            0o600,
            "server.json holds the token: owner only"
        );
        server.signal(signal);
        let status = server
            .wait_for_exit(Duration::from_secs(10))
            .expect("stopped within 10 s");
        assert!(status.success(), "clean exit: {status:?}");
        assert!(
            !home.server_file().exists(),
            "server.json removed on a clean exit"
        );
    }
}

#[test]
fn a_second_server_on_the_same_home_is_refused() {
    let home = Home::new();
    let server = home.serve();
    let out = home.run(&["serve", "--port", "0", "--no-open"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("already uses"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&server.url),
        "names the running one: {}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_database_is_a_clear_error_not_a_panic() {
    let home = Home::new();
    std::fs::write(home.path().join("plinth.db"), vec![0x42u8; 8192]).unwrap();
    let out = home.run(&["serve", "--port", "0", "--no-open"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("plinth.db"), "names the file: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}

#[test]
fn a_foreign_sqlite_database_is_a_clear_error() {
    let home = Home::new();
    let conn = rusqlite::Connection::open(home.path().join("plinth.db")).unwrap();
    conn.execute_batch("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5);").unwrap();
    drop(conn);
    let out = home.run(&["serve", "--port", "0", "--no-open"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"));
    // And it was not touched.
    let conn = rusqlite::Connection::open(home.path().join("plinth.db")).unwrap();
    let total: f64 = conn
        .query_row("SELECT total FROM invoices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(total, 9.5);
}
