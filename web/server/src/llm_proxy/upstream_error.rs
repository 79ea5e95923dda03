//! How a failed call to the upstream is put into words, for the agent's error and the log.

use std::error::Error as _;

/// An error and its causes on one line: reqwest's own message ("error sending request")
/// says little, its sources ("Connection refused") say what happened.
pub fn describe(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
