// Release builds embed the browser UI (web/dist) with rust-embed, which only tracks the
// files that existed when it last ran: a UI built after that (or first built after a
// build without it) must still make the binary embed it. Debug builds read web/dist from
// disk at run time, so they need no rebuild for it.
fn main() {
    if std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
