// Release builds embed the browser UI (web/ui/dist) with rust-embed, which only tracks the
// files that existed when it last ran: a UI built after that (or first built after a
// build without it) must still make the binary embed it. Debug builds read web/ui/dist from
// disk at run time, so a rebuilt UI needs no cargo build, but only when web/ui/dist existed
// when they were compiled (rust-embed makes an empty set otherwise): while it is missing,
// the next build after it appears must compile again.
fn main() {
    let dist = "../ui/dist";
    if std::env::var("PROFILE").as_deref() == Ok("release") || !std::path::Path::new(dist).exists()
    {
        println!("cargo:rerun-if-changed={dist}");
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
