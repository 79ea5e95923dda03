//! How `plinth task diff` shows a task's changes: the unified diff as git prints it (so it
//! can be piped into `git apply` or a pager), then a summary line; or, with `--stat`, the
//! files changed and their line counts.

use plinth_actors::tasks::{DiffReport, DiffSource};

use crate::table::table;

pub fn render(report: &DiffReport, stat: bool) -> String {
    let mut out = String::new();
    if stat {
        let mut rows = Vec::new();
        for file in &report.summary.files {
            let counts = if file.binary {
                "binary".to_string()
            } else {
                format!("+{} -{}", file.insertions, file.deletions)
            };
            rows.push(vec![file.path.clone(), counts]);
        }
        if !rows.is_empty() {
            out.push_str(&table(&rows));
        }
    } else {
        out.push_str(&report.diff);
        if !report.diff.is_empty() && !report.diff.ends_with('\n') {
            out.push('\n');
        }
        if report.truncated {
            out.push_str("… (the diff is cut here: it is longer than 8 MiB)\n");
        }
    }
    out.push_str(&summary_line(report));
    out
}

fn summary_line(report: &DiffReport) -> String {
    let s = &report.summary;
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let source = match report.source {
        DiffSource::Environment => "in the task's sandbox, committed or not",
        DiffSource::Branch => "as synced to your repository",
    };
    let base = report.base.get(..12).unwrap_or(&report.base);
    format!(
        "{}, {}(+), {}(-) since {base}, {source}\n",
        plural(s.files_changed, "file changed", "files changed"),
        plural(s.insertions, "insertion", "insertions"),
        plural(s.deletions, "deletion", "deletions"),
    )
}
