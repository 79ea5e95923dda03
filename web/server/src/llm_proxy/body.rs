//! The reply on its way to the client: the upstream's body passed on chunk by chunk as it
//! arrives (nothing is held back or rewritten), read on the way by [`ReplyReader`], with
//! the call finished when the body ends, breaks off, goes quiet too long, or is dropped
//! because the client hung up.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use futures::stream::{BoxStream, Stream, StreamExt};
use tokio::time::{Instant, Sleep};

use axum::http::StatusCode;

use super::api::Api;
use super::api_error::stream_error;
use super::call::Call;
use super::reply::ReplyReader;
use super::sse::SseParser;
use crate::limits::MAX_JSON_BYTES;

enum Format {
    Sse(SseParser),
    /// A copy of the body so far, read once it is complete.
    Json {
        copy: Vec<u8>,
        overflow: bool,
    },
}

pub struct ProxyBody {
    api: Api,
    upstream: BoxStream<'static, reqwest::Result<Bytes>>,
    call: Call,
    reader: ReplyReader,
    format: Format,
    idle_limit: Duration,
    last_data: Instant,
    /// Fires at the idle deadline; re-armed lazily rather than on every chunk.
    idle: Pin<Box<Sleep>>,
    /// Fires when unsent text is due; `flush_at` is what it is armed for.
    flush: Pin<Box<Sleep>>,
    flush_at: Option<Instant>,
    /// The upstream's `content-length`: hyper stops polling a body once it has sent that
    /// many bytes, so the reply is complete at that count, not at the stream's end.
    expected: Option<u64>,
    received: u64,
    done: bool,
}

impl ProxyBody {
    pub fn new(
        api: Api,
        response: reqwest::Response,
        call: Call,
        streamed: bool,
        idle: Duration,
    ) -> Self {
        let now = Instant::now();
        let format = if streamed {
            Format::Sse(SseParser::new())
        } else {
            Format::Json {
                copy: Vec::new(),
                overflow: false,
            }
        };
        let expected = response.content_length();
        ProxyBody {
            api,
            expected,
            received: 0,
            upstream: response.bytes_stream().boxed(),
            call,
            reader: ReplyReader::new(api),
            format,
            idle_limit: idle,
            last_data: now,
            idle: Box::pin(tokio::time::sleep_until(now + idle)),
            flush: Box::pin(tokio::time::sleep_until(now)),
            flush_at: None,
            done: false,
        }
    }

    fn read(&mut self, bytes: &[u8]) {
        match &mut self.format {
            Format::Sse(parser) => {
                let (reader, call) = (&mut self.reader, &mut self.call);
                parser.push(bytes, |name, data| reader.sse_event(call, name, data));
            }
            Format::Json { copy, overflow } => {
                if copy.len() + bytes.len() > MAX_JSON_BYTES {
                    *overflow = true;
                    *copy = Vec::new();
                } else if !*overflow {
                    copy.extend_from_slice(bytes);
                }
            }
        }
    }

    /// Points the flush timer at the reader's deadline for unsent text.
    fn arm_flush(&mut self) {
        let due = self.reader.flush_deadline().map(Instant::from_std);
        if due != self.flush_at {
            if let Some(due) = due {
                self.flush.as_mut().reset(due);
            }
            self.flush_at = due;
        }
    }

    /// The upstream closed the body: the reply is complete (or cut short, which the
    /// reader notices for a stream).
    fn end(&mut self) {
        self.done = true;
        match &mut self.format {
            Format::Sse(_) => self.reader.end_of_stream(&mut self.call),
            Format::Json { copy, overflow } => {
                if !*overflow {
                    let status = self.call.status;
                    self.reader.json_body(&mut self.call, status, copy);
                } else if self.call.status >= 400 {
                    let status = self.call.status;
                    self.call
                        .fail(format!("{status} (error body too large to read)"));
                }
            }
        }
        self.call.finish();
    }

    /// The upstream failed mid-reply. A stream ends with the API's own failure event or
    /// chunk, as the API ends a stream that fails; other bodies are cut off, which the
    /// client sees as an error.
    fn break_off(&mut self, message: String) -> Poll<Option<io::Result<Bytes>>> {
        self.done = true;
        let message = format!("plinth's LLM proxy: {message}");
        self.reader.flush_text(&self.call);
        self.call.fail(message.clone());
        self.call.finish();
        match self.format {
            Format::Sse(_) => {
                let event = stream_error(self.api, StatusCode::BAD_GATEWAY, &message);
                Poll::Ready(Some(Ok(Bytes::from(event))))
            }
            Format::Json { .. } => Poll::Ready(Some(Err(io::Error::other(message)))),
        }
    }
}

impl Stream for ProxyBody {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match this.upstream.poll_next_unpin(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                this.last_data = Instant::now();
                this.read(&bytes);
                this.received += bytes.len() as u64;
                if this.expected == Some(this.received) {
                    this.end();
                } else {
                    this.arm_flush();
                }
                Poll::Ready(Some(Ok(bytes)))
            }
            Poll::Ready(Some(Err(err))) => {
                if this.reader.ended() {
                    // The reply was complete; only the connection's close went wrong.
                    this.end();
                    return Poll::Ready(None);
                }
                this.break_off(format!(
                    "the model API's reply broke off: {}",
                    super::upstream_error::describe(&err)
                ))
            }
            Poll::Ready(None) => {
                this.end();
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.flush_at.is_some() && this.flush.as_mut().poll(cx).is_ready() {
                    this.reader.flush_text(&this.call);
                    this.flush_at = None;
                }
                while this.idle.as_mut().poll(cx).is_ready() {
                    let deadline = this.last_data + this.idle_limit;
                    if deadline <= Instant::now() {
                        return this.break_off(format!(
                            "the model API sent nothing for {:?} in the middle of its reply",
                            this.idle_limit
                        ));
                    }
                    this.idle.as_mut().reset(deadline);
                }
                Poll::Pending
            }
        }
    }
}

impl Drop for ProxyBody {
    fn drop(&mut self) {
        if !self.done {
            // The client hung up: what it got of the text is still reported; dropping the
            // call then finishes it with the reason.
            self.reader.flush_text(&self.call);
        }
    }
}
