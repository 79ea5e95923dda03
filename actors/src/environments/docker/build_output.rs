//! Reading the classic builder's output, line by line: colours stripped, and its
//! `Step n/m : …` lines recognised, which is what build progress is made of.

/// The classic builder wraps a step's stderr in red (`ESC[91m` … `ESC[0m`); a progress
/// bar, an event log and an error message all want the bare text.
pub(super) fn strip_colours(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates run up to the final byte, '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// "Step 3/7 : RUN make" → (3, 7, "RUN make").
pub(super) fn parse_step(line: &str) -> Option<(u32, u32, &str)> {
    let rest = line.strip_prefix("Step ")?;
    let (numbers, instruction) = rest.split_once(" : ")?;
    let (step, total) = numbers.split_once('/')?;
    Some((step.parse().ok()?, total.parse().ok()?, instruction))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_become_steps() {
        assert_eq!(
            parse_step("Step 3/7 : RUN make && make install"),
            Some((3, 7, "RUN make && make install"))
        );
        assert_eq!(parse_step(" ---> Running in 0123456789ab"), None);
        assert_eq!(parse_step("Step x/7 : RUN make"), None);
    }

    #[test]
    fn colours_are_stripped() {
        assert_eq!(strip_colours("\x1b[91mboom: 42\x1b[0m"), "boom: 42");
        assert_eq!(
            strip_colours("\x1b[0mRemoving intermediate"),
            "Removing intermediate"
        );
        assert_eq!(strip_colours("plain [91m"), "plain [91m");
    }
}
