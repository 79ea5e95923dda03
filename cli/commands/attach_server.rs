//! `plinth task attach` for an ended (finished or failed) task, through the server's web
//! terminal (`/api/tasks/{id}/terminal`). Its environment was stopped once its work was
//! synced, and only the server can start it again for as long as someone is attached (and
//! give a shell when the agent's sessions are gone), which a `docker exec` run from here
//! could not tell it. Your terminal is put in raw mode and bridged to the WebSocket; tmux's
//! Ctrl-b d detaches, as with a running task.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;

use futures::{SinkExt, StreamExt};
use tokio::signal::unix::{SignalKind, signal};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::client::Client;
use crate::failure::Failure;

pub async fn attach(client: &Client, task: &str, session: Option<&str>) -> Result<i32, Failure> {
    let (cols, rows) = window_size();
    let mut path = format!("/api/tasks/{task}/terminal?cols={cols}&rows={rows}");
    if let Some(session) = session {
        path.push_str(&format!("&session={session}"));
    }
    let server = client.server();
    let url = format!("{}{path}", server.url.replacen("http://", "ws://", 1));
    let mut request = url
        .into_client_request()
        .map_err(|e| Failure::other(format!("cannot make the terminal's request: {e}")))?;
    let bearer = format!("Bearer {}", server.token)
        .parse()
        .map_err(|_| Failure::other("the server's token is not a header value"))?;
    request.headers_mut().insert("authorization", bearer);
    let (socket, _) = match tokio_tungstenite::connect_async(request).await {
        Ok(connected) => connected,
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            let said: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let error = said["error"].as_str().unwrap_or("refused");
            return Err(Failure::other(format!(
                "the server would not open task {task}'s terminal ({}): {error}",
                response.status()
            )));
        }
        Err(err) => return Err(Failure::other(format!("cannot open the terminal: {err}"))),
    };
    let raw = RawMode::enter()
        .map_err(|e| Failure::other(format!("cannot put the terminal in raw mode: {e}")))?;
    let result = bridge(socket).await;
    drop(raw);
    result.map(|()| 0)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn bridge(socket: Socket) -> Result<(), Failure> {
    let (mut sink, mut stream) = socket.split();
    // Reading stdin blocks: a thread of its own, which ends with the process.
    let (keys_tx, mut keys) = tokio::sync::mpsc::channel::<Vec<u8>>(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || keys_tx.blocking_send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    let mut resized = signal(SignalKind::window_change())
        .map_err(|e| Failure::other(format!("cannot follow the window's size: {e}")))?;
    let mut stdout = std::io::stdout();
    let lost = |e: tungstenite::Error| Failure::other(format!("the terminal's connection: {e}"));
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(Ok(Message::Binary(bytes))) => {
                    let _ = stdout.write_all(&bytes);
                    let _ = stdout.flush();
                }
                Some(Ok(Message::Text(text))) => {
                    let said: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                    if let Some(error) = said["error"].as_str() {
                        return Err(Failure::other(format!("the terminal: {error}")));
                    }
                }
                Some(Ok(Message::Close(_))) | None => return Ok(()),
                Some(Ok(_)) => {}
                Some(Err(err)) => return Err(lost(err)),
            },
            typed = keys.recv() => match typed {
                Some(bytes) => sink.send(Message::Binary(bytes.into())).await.map_err(lost)?,
                None => return Ok(()),
            },
            _ = resized.recv() => {
                let (cols, rows) = window_size();
                let resize = serde_json::json!({"type": "resize", "cols": cols, "rows": rows});
                sink.send(Message::Text(resize.to_string().into())).await.map_err(lost)?;
            }
        }
    }
}

/// The terminal's size in columns and rows; 80×24 when it cannot be asked.
fn window_size() -> (u16, u16) {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes a winsize into the pointer it is given.
    let asked = unsafe { libc::ioctl(std::io::stdout().as_raw_fd(), libc::TIOCGWINSZ, &mut size) };
    if asked == 0 && size.ws_col > 0 && size.ws_row > 0 {
        (size.ws_col, size.ws_row)
    } else {
        (80, 24)
    }
}

/// Your terminal in raw mode (keys go through as typed, Ctrl-C included) until dropped.
struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    fn enter() -> std::io::Result<RawMode> {
        let fd = std::io::stdin().as_raw_fd();
        // SAFETY: tcgetattr fills the termios it is given; it is read only when it succeeded.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut raw = saved;
        // SAFETY: cfmakeraw and tcsetattr take a valid termios.
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enter`.
        unsafe { libc::tcsetattr(std::io::stdin().as_raw_fd(), libc::TCSANOW, &self.saved) };
    }
}
