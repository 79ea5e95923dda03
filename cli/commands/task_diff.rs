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

#[cfg(test)]
mod tests {
    use plinth_actors::tasks::git_sync::{DiffSummary, FileChange};

    use super::*;

    fn report(truncated: bool) -> DiffReport {
        DiffReport {
            task: "t-1".into(),
            source: DiffSource::Branch,
            base: "0123456789abcdef0123".into(),
            head: None,
            summary: DiffSummary {
                files_changed: 2,
                insertions: 1,
                deletions: 0,
                files: vec![
                    FileChange {
                        path: "a.txt".into(),
                        insertions: 1,
                        deletions: 0,
                        binary: false,
                    },
                    FileChange {
                        path: "logo.png".into(),
                        insertions: 0,
                        deletions: 0,
                        binary: true,
                    },
                ],
            },
            diff: "+a".into(),
            truncated,
        }
    }

    #[test]
    fn the_diff_ends_with_a_summary_line_and_says_when_it_is_cut() {
        let shown = render(&report(true), false);
        assert!(shown.starts_with("+a\n"), "{shown}");
        assert!(shown.contains("cut here"), "{shown}");
        assert!(
            shown.ends_with(
                "2 files changed, 1 insertion(+), 0 deletions(-) since 0123456789ab, as synced to your repository\n"
            ),
            "{shown}"
        );
    }

    #[test]
    fn stat_lists_files_with_binary_ones_named_so() {
        let shown = render(&report(false), true);
        assert!(!shown.contains("+a\n"), "{shown}");
        assert!(
            shown.contains("a.txt") && shown.contains("+1 -0"),
            "{shown}"
        );
        assert!(shown.contains("binary"), "{shown}");
    }
}
