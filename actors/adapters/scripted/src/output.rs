//! What of a failed command's output goes into the status detail: its last lines, short
//! enough for a status line yet enough to see why it failed.

const MAX_LINES: usize = 5;
const MAX_CHARS: usize = 400;

/// The last non-empty lines of `bytes` (lossy UTF-8), at most [`MAX_LINES`] lines and about
/// [`MAX_CHARS`] characters, cut at the front since the end of an error says the most.
pub fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    let joined = lines[lines.len().saturating_sub(MAX_LINES)..].join("\n");
    let count = joined.chars().count();
    if count <= MAX_CHARS {
        return joined;
    }
    let kept: String = joined.chars().skip(count - MAX_CHARS).collect();
    format!("…{kept}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_lines() {
        let out = b"1\n2\n\n3\n4\n5\n6\n7\n";
        assert_eq!(tail(out), "3\n4\n5\n6\n7");
    }

    #[test]
    fn cuts_long_output_at_the_front() {
        let long = "x".repeat(1000) + "END";
        let t = tail(long.as_bytes());
        assert!(t.starts_with('…'));
        assert!(t.ends_with("END"));
        assert_eq!(t.chars().count(), MAX_CHARS + 1);
    }

    #[test]
    fn survives_invalid_utf8_and_emptiness() {
        assert_eq!(tail(b""), "");
        assert_eq!(tail(&[b'a', 0xff, b'b']), "a\u{fffd}b");
    }
}
