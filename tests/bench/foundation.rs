//! Step 1's figures: `cargo bench --bench foundation`. Prints each figure with its target.
//! Run one section with `cargo bench --bench foundation -- rss` (or `roundtrip`, `append`).

mod actor_roundtrip;
mod event_append;
mod server_rss;

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wants("roundtrip") {
        actor_roundtrip::run();
    }
    if wants("append") {
        event_append::run();
    }
    if wants("rss") {
        server_rss::run();
    }
}
