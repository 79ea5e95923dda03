//! The WASI context for components that import `wasi:*`: nothing of the host is reachable
//! (no preopened directories, no sockets, no name lookups, no inherited environment or
//! arguments), and stdout/stderr become lines in the task's log.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder};

use crate::capabilities::{Capabilities, LogCap};
use crate::limits::GUEST_LOG_MAX_LINE;
use crate::wit::Level;

pub(crate) fn context(caps: &Capabilities) -> WasiCtx {
    WasiCtxBuilder::new()
        .stdout(LogStream::new(caps, Level::Info))
        .stderr(LogStream::new(caps, Level::Warn))
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .socket_addr_check(|_, _| Box::pin(async { false }))
        .build()
}

/// One of the guest's output streams. Every handle the guest opens on it shares the line
/// buffer, so lines come out whole and in order.
#[derive(Clone)]
struct LogStream(Arc<Mutex<LineBuffer>>);

struct LineBuffer {
    log: Option<Arc<dyn LogCap>>,
    task_id: String,
    level: Level,
    pending: Vec<u8>,
}

impl LogStream {
    fn new(caps: &Capabilities, level: Level) -> LogStream {
        LogStream(Arc::new(Mutex::new(LineBuffer {
            log: caps.log.clone(),
            task_id: caps.task_id.clone(),
            level,
            pending: Vec::new(),
        })))
    }

    fn write(&self, bytes: &[u8]) {
        let mut buffer = self.0.lock().unwrap_or_else(|p| p.into_inner());
        buffer.pending.extend_from_slice(bytes);
        while let Some(newline) = buffer.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buffer.pending.drain(..=newline).collect();
            buffer.emit(&line[..line.len() - 1]);
        }
        if buffer.pending.len() >= GUEST_LOG_MAX_LINE {
            let line = std::mem::take(&mut buffer.pending);
            buffer.emit(&line);
        }
    }
}

impl LineBuffer {
    fn emit(&self, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        let line = line.strip_suffix('\r').unwrap_or(&line);
        match &self.log {
            Some(log) => {
                // A panicking logger must not take the guest down with it.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    log.log(self.level, line)
                }));
            }
            None => match self.level {
                Level::Warn => tracing::warn!(task = %self.task_id, "adapter stderr: {line}"),
                _ => tracing::info!(task = %self.task_id, "adapter stdout: {line}"),
            },
        }
    }
}

impl Drop for LineBuffer {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest);
        }
    }
}

impl IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for LogStream {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }

    // Written through synchronously, rather than by wasmtime-wasi's default background
    // task, so output lands in the log in order with the guest's `log` calls.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for LogStream {
    async fn ready(&mut self) {}
}

impl OutputStream for LogStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        LogStream::write(self, &bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

impl AsyncWrite for LogStream {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.write(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Lines(Mutex<Vec<(Level, String)>>);

    impl LogCap for Lines {
        fn log(&self, level: Level, message: &str) {
            self.0.lock().unwrap().push((level, message.to_string()));
        }
    }

    #[test]
    fn output_becomes_whole_lines_at_the_streams_level() {
        let lines = Arc::new(Lines::default());
        let caps = Capabilities {
            log: Some(lines.clone()),
            ..Capabilities::none("t1")
        };
        let stream = LogStream::new(&caps, Level::Warn);
        stream.write(b"hel");
        stream.write(b"lo\r\nwor");
        stream.write(b"ld\nrest");
        assert_eq!(
            lines.0.lock().unwrap().clone(),
            vec![(Level::Warn, "hello".into()), (Level::Warn, "world".into())]
        );
        drop(stream);
        assert_eq!(lines.0.lock().unwrap().last().unwrap().1, "rest");
    }
}
