//! A push parser for server-sent events: fed the response body piece by piece as it
//! passes through, it hands out each complete event (name and data) without holding
//! more than the event being read. eventsource-stream only works as a stream adapter that
//! consumes the bytes, and the proxy must forward them untouched, hence this small one.

use crate::limits::MAX_EVENT_BYTES;

/// The name a bare JSON line is handed on under.
pub const BARE: &str = "bare";

#[derive(Debug, Default)]
pub struct SseParser {
    /// The start of a line whose end has not arrived yet.
    partial: Vec<u8>,
    /// The current event's `event:` field.
    name: String,
    /// The current event's `data:` lines, joined with `\n`.
    data: Vec<u8>,
    has_data: bool,
    /// The current event went over [`MAX_EVENT_BYTES`]; drop it at its blank line.
    oversized: bool,
    /// The line being read went over the limit: drop the rest of it.
    discard_line: bool,
}

impl SseParser {
    pub fn new() -> Self {
        SseParser::default()
    }

    /// Parses `chunk`, calling `on_event(name, data)` for each event it completes. Lines
    /// end in `\n` or `\r\n` (the API's; a lone `\r` is not treated as a line end).
    pub fn push(&mut self, mut chunk: &[u8], mut on_event: impl FnMut(&str, &[u8])) {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            let (line, rest) = chunk.split_at(end);
            chunk = &rest[1..];
            if self.discard_line {
                self.discard_line = false;
                self.partial.clear();
            } else if self.partial.is_empty() {
                self.line(line, &mut on_event);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, &mut on_event);
                whole.clear();
                // Keep the allocation for the next split line.
                self.partial = whole;
            }
        }
        if !chunk.is_empty() && !self.discard_line {
            if self.partial.len() + chunk.len() > MAX_EVENT_BYTES {
                self.oversized = true;
                self.discard_line = true;
                self.partial = Vec::new();
            } else {
                self.partial.extend_from_slice(chunk);
            }
        }
    }

    fn line(&mut self, line: &[u8], on_event: &mut impl FnMut(&str, &[u8])) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            self.dispatch(on_event);
            return;
        }
        // Not SSE at all: a JSON object on a line of its own, how Gemini's API reports an
        // error in the middle of a stream. Handed on at once, as an event of its own.
        if line[0] == b'{' && !self.has_data {
            on_event(BARE, line);
            return;
        }
        if line[0] == b':' {
            return; // a comment
        }
        let (field, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match field {
            b"event" => self.name = String::from_utf8_lossy(value).into_owned(),
            b"data" => {
                if self.data.len() + value.len() > MAX_EVENT_BYTES {
                    self.oversized = true;
                    return;
                }
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            _ => {} // id, retry: nothing the proxy needs
        }
    }

    fn dispatch(&mut self, on_event: &mut impl FnMut(&str, &[u8])) {
        if self.has_data && !self.oversized {
            let name = if self.name.is_empty() {
                "message"
            } else {
                &self.name
            };
            on_event(name, &self.data);
        } else if self.oversized {
            tracing::warn!(
                event = %self.name,
                "LLM proxy: skipped an SSE event over {MAX_EVENT_BYTES} bytes; it was forwarded but not read"
            );
        }
        self.name.clear();
        self.data.clear();
        self.has_data = false;
        self.oversized = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_in_pieces(wire: &[u8], piece: usize) -> Vec<(String, String)> {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for chunk in wire.chunks(piece) {
            parser.push(chunk, |name, data| {
                events.push((name.to_string(), String::from_utf8(data.to_vec()).unwrap()))
            });
        }
        events
    }

    #[test]
    fn events_come_out_whole_however_the_bytes_are_split() {
        let wire = b"event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\n\
                     event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n\
                     data: line one\ndata: line two\n\n";
        let expected = vec![
            ("message_start".to_string(), "{\"a\":1}".to_string()),
            ("ping".to_string(), "{\"type\":\"ping\"}".to_string()),
            ("message".to_string(), "line one\nline two".to_string()),
        ];
        for piece in [1, 2, 3, 7, 16, wire.len()] {
            assert_eq!(parse_in_pieces(wire, piece), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn a_bare_json_line_between_events_is_handed_on_as_it_is() {
        let wire = b"data: {\"a\":1}\n\n{\"error\":{\"code\":503}}\n";
        assert_eq!(
            parse_in_pieces(wire, 5),
            vec![
                ("message".to_string(), "{\"a\":1}".to_string()),
                (BARE.to_string(), "{\"error\":{\"code\":503}}".to_string()),
            ]
        );
    }

    #[test]
    fn an_event_without_its_blank_line_is_not_dispatched() {
        assert!(parse_in_pieces(b"event: ping\ndata: {}\n", 4).is_empty());
    }

    #[test]
    fn an_oversized_event_is_skipped_and_the_next_one_still_parses() {
        let mut wire = b"event: big\ndata: ".to_vec();
        wire.extend(std::iter::repeat_n(b'x', MAX_EVENT_BYTES + 10));
        wire.extend_from_slice(b"\n\nevent: ping\ndata: {}\n\n");
        let events = parse_in_pieces(&wire, 64 * 1024);
        assert_eq!(events, vec![("ping".to_string(), "{}".to_string())]);
    }
}
