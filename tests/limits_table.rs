//! docs/architecture.md's table of limits and timeouts is every crate's `limits.rs`, in order,
//! with each value and its reason; when they differ, the test prints the table to paste.

use std::path::Path;

/// Each crate's one place for its limits, in the order of the floors.
const LIMITS: &[(&str, &str)] = &[
    ("plinth-kernel", "runtime/kernel/src/limits.rs"),
    ("plinth-store", "runtime/store/src/limits.rs"),
    ("plinth-wasm", "runtime/wasm/src/limits.rs"),
    ("plinth-actors", "actors/src/limits.rs"),
    ("plinth-server", "web/server/src/limits.rs"),
    ("plinth (CLI)", "cli/limits.rs"),
];

const HEADER: &str = "| crate | name | value | why |\n| --- | --- | --- | --- |\n";

#[test]
fn the_architectures_table_of_limits_is_every_crates_limits_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut expected = HEADER.to_string();
    for (krate, path) in LIMITS {
        let Ok(text) = std::fs::read_to_string(root.join(path)) else {
            continue;
        };
        for limit in limits_in(&text) {
            expected.push_str(&format!(
                "| {krate} | `{}` | {} | {} |\n",
                limit.name, limit.value, limit.why
            ));
        }
    }
    let docs = std::fs::read_to_string(root.join("docs/architecture.md")).unwrap();
    let start = docs
        .find(HEADER)
        .expect("docs/architecture.md has the table of limits");
    let table: String = docs[start..]
        .lines()
        .take_while(|line| line.starts_with('|'))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        table == expected,
        "docs/architecture.md's table of limits differs from the limits.rs files; the table \
         they make is:\n\n{expected}"
    );
}

struct Limit {
    name: String,
    value: String,
    why: String,
}

/// The `const`s of a limits file with their doc comments; a value in a unit a reader knows.
fn limits_in(text: &str) -> Vec<Limit> {
    let mut limits = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(comment) = line.strip_prefix("///") {
            doc.push(comment.trim());
            continue;
        }
        let declared = line
            .strip_prefix("pub(crate) const ")
            .or_else(|| line.strip_prefix("pub const "));
        if let Some(declared) = declared {
            let (name, rest) = declared.split_once(':').unwrap();
            let mut expr = rest.split_once('=').unwrap().1.trim().to_string();
            while !expr.ends_with(';') {
                expr.push(' ');
                expr.push_str(lines.next().unwrap().trim());
            }
            limits.push(Limit {
                name: name.to_string(),
                value: value(expr.trim_end_matches(';')),
                why: doc.join(" ").replace("[`", "`").replace("`]", "`"),
            });
        }
        doc.clear();
    }
    limits
}

fn value(expr: &str) -> String {
    let expr = expr.trim();
    for (call, unit) in [
        ("Duration::from_secs(", "s"),
        ("Duration::from_millis(", "ms"),
        ("Duration::from_micros(", "µs"),
    ] {
        if let Some(n) = expr.strip_prefix(call).and_then(|r| r.strip_suffix(')')) {
            return format!("{} {unit}", n.replace('_', ""));
        }
    }
    if let Some((n, shift)) = expr.split_once(" << ") {
        let unit = match shift {
            "10" => "KiB",
            "20" => "MiB",
            "30" => "GiB",
            _ => return expr.to_string(),
        };
        return format!("{n} {unit}");
    }
    if let Some(n) = expr.strip_suffix(" * 1024 * 1024") {
        return format!("{n} MiB");
    }
    if let Some(n) = expr.strip_suffix(" * 1024") {
        return format!("{n} KiB");
    }
    if let Some(fields) = expr.strip_prefix("Intensity {") {
        let field = |name: &str| field(fields, name);
        return format!(
            "{} restarts in {}",
            field("max_restarts"),
            value(&field("within"))
        );
    }
    if let Some(fields) = expr.strip_prefix("Backoff {") {
        let field = |name: &str| field(fields, name);
        return format!(
            "{}, ×{}, at most {}",
            value(&field("initial")),
            field("factor"),
            value(&field("max"))
        );
    }
    expr.replace('_', "")
}

/// `name: value,` out of a struct literal's fields.
fn field(fields: &str, name: &str) -> String {
    let after = fields
        .split_once(&format!("{name}:"))
        .unwrap_or_else(|| panic!("no field {name} in {fields}"))
        .1;
    let end = after
        .char_indices()
        .scan(0i32, |depth, (i, c)| {
            *depth += match c {
                '(' => 1,
                ')' => -1,
                _ => 0,
            };
            Some((i, c, *depth))
        })
        .find(|(_, c, depth)| *c == ',' && *depth == 0)
        .map_or(after.len(), |(i, _, _)| i);
    after[..end].trim().to_string()
}
