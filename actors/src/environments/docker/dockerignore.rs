//! A project's `.dockerignore`, so its build context leaves out what `docker build` would:
//! without it a Rust or Node project sends its whole `target/` or `node_modules/`, and the
//! context is held in memory.
//!
//! The rules follow Docker's: one pattern a line, `#` comments, `!` re-includes, Go's
//! `filepath.Match` per path segment (`*`, `?`, `[a-z]`, `[^a]`, `\` escapes) plus `**` for
//! any number of segments; a pattern that matches a directory excludes everything in it;
//! the last matching line wins.

use std::io;
use std::path::{Component, Path};

#[derive(Debug, Default)]
pub(crate) struct DockerIgnore {
    rules: Vec<Rule>,
}

#[derive(Debug)]
struct Rule {
    include: bool,
    segments: Vec<String>,
}

impl DockerIgnore {
    /// The context's `.dockerignore`, or nothing ignored when there is none.
    pub(crate) fn read(context: &Path) -> io::Result<Self> {
        match std::fs::read_to_string(context.join(".dockerignore")) {
            Ok(text) => Ok(Self::parse(&text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e),
        }
    }

    pub(crate) fn parse(text: &str) -> Self {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                let (include, pattern) = match line.strip_prefix('!') {
                    Some(rest) => (true, rest.trim()),
                    None => (false, line),
                };
                let segments: Vec<String> = pattern
                    .split('/')
                    .filter(|s| !s.is_empty() && *s != ".")
                    .map(str::to_string)
                    .collect();
                (!segments.is_empty()).then_some(Rule { include, segments })
            })
            .collect();
        Self { rules }
    }

    /// Whether `rel` (relative to the context's root) stays out of the context.
    pub(crate) fn excludes(&self, rel: &Path) -> bool {
        let parts: Vec<&str> = rel
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => s.to_str(),
                _ => None,
            })
            .collect();
        let mut excluded = false;
        for rule in &self.rules {
            if (1..=parts.len()).any(|n| match_segments(&rule.segments, &parts[..n])) {
                excluded = !rule.include;
            }
        }
        excluded
    }

    /// An excluded directory must still be walked when a later `!` line may take part of
    /// it back.
    pub(crate) fn has_exceptions(&self) -> bool {
        self.rules.iter().any(|r| r.include)
    }
}

fn match_segments(pattern: &[String], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if first == "**" => {
            (0..=path.len()).any(|skip| match_segments(rest, &path[skip..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((name, path_rest)) => glob(first, name) && match_segments(rest, path_rest),
            None => false,
        },
    }
}

/// Go's `filepath.Match` for one segment.
fn glob(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    glob_at(&pattern, &name)
}

fn glob_at(pattern: &[char], name: &[char]) -> bool {
    match pattern.first() {
        None => name.is_empty(),
        Some('*') => (0..=name.len()).any(|skip| glob_at(&pattern[1..], &name[skip..])),
        Some('?') => !name.is_empty() && glob_at(&pattern[1..], &name[1..]),
        Some('[') => match (name.first(), class(&pattern[1..])) {
            (Some(&c), Some((matches, len))) => {
                matches(c) && glob_at(&pattern[1 + len..], &name[1..])
            }
            _ => false,
        },
        Some('\\') if pattern.len() > 1 => {
            name.first() == Some(&pattern[1]) && glob_at(&pattern[2..], &name[1..])
        }
        Some(&literal) => name.first() == Some(&literal) && glob_at(&pattern[1..], &name[1..]),
    }
}

type ClassMatcher = Box<dyn Fn(char) -> bool>;

/// A `[...]` class after its `[`: the matcher and how many pattern chars it used (with the
/// closing `]`), or `None` when it never closes.
fn class(pattern: &[char]) -> Option<(ClassMatcher, usize)> {
    let mut i = 0;
    let negated = matches!(pattern.first(), Some('^' | '!'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    while i < pattern.len() && (pattern[i] != ']' || ranges.is_empty()) {
        let mut low = pattern[i];
        if low == '\\' {
            i += 1;
            low = *pattern.get(i)?;
        }
        let mut high = low;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|&c| c != ']') {
            high = pattern[i + 2];
            i += 2;
        }
        ranges.push((low, high));
        i += 1;
    }
    if pattern.get(i) != Some(&']') {
        return None;
    }
    let matcher = move |c: char| ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != negated;
    Some((Box::new(matcher), i + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excluded(rules: &str, path: &str) -> bool {
        DockerIgnore::parse(rules).excludes(Path::new(path))
    }

    #[test]
    fn a_directory_pattern_excludes_what_is_inside() {
        assert!(excluded("target\n", "target"));
        assert!(excluded("target\n", "target/debug/plinth"));
        assert!(excluded("/target/\n", "target/debug"));
        assert!(!excluded("target\n", "src/target"));
        assert!(!excluded("target\n", "targets"));
    }

    #[test]
    fn globs_match_one_segment_and_double_star_many() {
        assert!(excluded("*.log", "build.log"));
        assert!(!excluded("*.log", "logs/build.log"));
        assert!(excluded("**/*.log", "logs/deep/build.log"));
        assert!(excluded("**/*.log", "build.log"));
        assert!(excluded("src/**/gen", "src/a/b/gen/x.rs"));
        assert!(excluded("file?.txt", "file1.txt"));
        assert!(!excluded("file?.txt", "file10.txt"));
        assert!(excluded("[a-c]*.md", "b-notes.md"));
        assert!(!excluded("[^a-c]*.md", "b-notes.md"));
        assert!(excluded("\\*literal", "*literal"));
        assert!(!excluded("\\*literal", "xliteral"));
    }

    #[test]
    fn the_last_matching_line_wins_and_comments_are_skipped() {
        let rules = "# build output\n*.md\n!README.md\n\n";
        assert!(excluded(rules, "NOTES.md"));
        assert!(!excluded(rules, "README.md"));
        assert!(DockerIgnore::parse(rules).has_exceptions());
        assert!(!DockerIgnore::parse("# only a comment\n").has_exceptions());
    }
}
