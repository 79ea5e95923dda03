//! How far the script got, as saved through the `state` import.
//!
//! A restarted instance gets this back in `start` and carries on from it, so every field
//! is something a new instance could not work out for itself. The encoding is one line of
//! `key=value` words: small, readable in a state dump, and no serializer in the component.

/// What a blocking step is waiting for. The step itself (its text, its duration) is in the
/// script, which the host hands back on every start, so only what changes is kept here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `wait-message`: for a user message.
    Message,
    /// `sleep`: for a tick at or past `deadline`, which the first tick fixes since the
    /// adapter has no clock of its own.
    Sleep { deadline: Option<u64> },
    /// `expect`: for the text on the `agent` session's screen.
    Screen,
    /// `ask`: for the answer (or a message).
    Answer,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Index of the next step to run, or of the blocking step being waited on.
    pub next: usize,
    pub wait: Option<Wait>,
    /// The task reached `finished` or `failed`; nothing runs any more.
    pub done: bool,
    /// User messages recorded but not yet taken by a `wait-message`.
    pub unread: u32,
}

const MAGIC: &str = "scripted/1";

impl Progress {
    pub fn encode(&self) -> Vec<u8> {
        let wait = match self.wait {
            None => "none".to_string(),
            Some(Wait::Message) => "message".to_string(),
            Some(Wait::Screen) => "screen".to_string(),
            Some(Wait::Answer) => "answer".to_string(),
            Some(Wait::Sleep { deadline: None }) => "sleep".to_string(),
            Some(Wait::Sleep { deadline: Some(at) }) => format!("sleep@{at}"),
        };
        format!(
            "{MAGIC} next={} wait={wait} done={} unread={}",
            self.next,
            u8::from(self.done),
            self.unread
        )
        .into_bytes()
    }

    pub fn decode(blob: &[u8]) -> Result<Progress, String> {
        let text = std::str::from_utf8(blob).map_err(|_| "saved state is not text".to_string())?;
        let mut words = text.split_whitespace();
        if words.next() != Some(MAGIC) {
            return Err(format!("saved state does not start with {MAGIC}"));
        }
        let mut progress = Progress::default();
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("saved state has a stray word `{word}`"))?;
            let bad = || format!("saved state has a bad {key}: `{value}`");
            match key {
                "next" => progress.next = value.parse().map_err(|_| bad())?,
                "done" => progress.done = value == "1",
                "unread" => progress.unread = value.parse().map_err(|_| bad())?,
                "wait" => {
                    progress.wait = match value {
                        "none" => None,
                        "message" => Some(Wait::Message),
                        "screen" => Some(Wait::Screen),
                        "answer" => Some(Wait::Answer),
                        "sleep" => Some(Wait::Sleep { deadline: None }),
                        _ => {
                            let at = value.strip_prefix("sleep@").ok_or_else(bad)?;
                            Some(Wait::Sleep {
                                deadline: Some(at.parse().map_err(|_| bad())?),
                            })
                        }
                    }
                }
                // Newer versions may add keys; an older one resuming their state skips them.
                _ => {}
            }
        }
        Ok(progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_round_trips() {
        let shapes = [
            Progress::default(),
            Progress {
                next: 7,
                wait: Some(Wait::Message),
                done: false,
                unread: 2,
            },
            Progress {
                next: 1,
                wait: Some(Wait::Screen),
                done: false,
                unread: 0,
            },
            Progress {
                next: 3,
                wait: Some(Wait::Sleep { deadline: None }),
                done: false,
                unread: 0,
            },
            Progress {
                next: 3,
                wait: Some(Wait::Sleep {
                    deadline: Some(1_764_000_000_123),
                }),
                done: false,
                unread: 0,
            },
            Progress {
                next: 9,
                wait: None,
                done: true,
                unread: 0,
            },
        ];
        for shape in shapes {
            assert_eq!(Progress::decode(&shape.encode()), Ok(shape));
        }
    }

    #[test]
    fn the_encoding_is_readable() {
        let p = Progress {
            next: 4,
            wait: Some(Wait::Sleep { deadline: Some(10) }),
            done: false,
            unread: 1,
        };
        assert_eq!(
            p.encode(),
            b"scripted/1 next=4 wait=sleep@10 done=0 unread=1"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_fresh_start() {
        assert!(Progress::decode(b"").is_err());
        assert!(Progress::decode(b"{\"next\":1}").is_err());
        assert!(Progress::decode(b"scripted/1 next=x").is_err());
        assert!(Progress::decode(b"scripted/1 wait=sleep@soon").is_err());
        assert!(Progress::decode(&[0xff, 0xfe]).is_err());
    }

    #[test]
    fn unknown_keys_are_skipped() {
        let p = Progress::decode(b"scripted/1 next=2 later=yes").unwrap();
        assert_eq!(p.next, 2);
    }
}
