//! The web terminal's WebSocket, as a browser would use it: open it with the token, read
//! what the terminal prints, type into it.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::server::Server;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn ws_url(server: &Server, path: &str) -> String {
    format!("{}{path}", server.url.replacen("http://", "ws://", 1))
}

/// Opens the terminal with `headers`; the HTTP status when the handshake is refused.
pub async fn connect_with(
    server: &Server,
    path: &str,
    headers: &[(&'static str, String)],
) -> Result<Socket, u16> {
    let mut request = ws_url(server, path).into_client_request().unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_static(name),
            value.parse().unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, _)) => Ok(socket),
        Err(tungstenite::Error::Http(response)) => {
            let body = response.body().as_deref().unwrap_or_default();
            eprintln!("{path}: {}", String::from_utf8_lossy(body));
            Err(response.status().as_u16())
        }
        Err(other) => panic!("connecting to {path}: {other}"),
    }
}

pub async fn connect(server: &Server, path: &str) -> Socket {
    let bearer = [("authorization", format!("Bearer {}", server.token))];
    // 503 says "retry": the Docker daemon is shared with other tests and now and then
    // refuses a connection.
    for _ in 0..3 {
        match connect_with(server, path, &bearer).await {
            Ok(socket) => return socket,
            Err(503) => tokio::time::sleep(Duration::from_millis(300)).await,
            Err(status) => panic!("{path}: refused with {status}"),
        }
    }
    connect_with(server, path, &bearer)
        .await
        .unwrap_or_else(|status| panic!("{path}: refused with {status}"))
}

/// Reads terminal output until `text` has appeared; panics with what was seen if not.
pub async fn read_until(socket: &mut Socket, text: &str) -> String {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let next = tokio::time::timeout(left, socket.next()).await;
        match next {
            Ok(Some(Ok(Message::Binary(bytes)))) => seen.extend_from_slice(&bytes),
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(e))) => panic!("the terminal failed: {e}"),
            Ok(None) | Err(_) => panic!(
                "never saw {text:?}; the terminal printed:\n{}",
                String::from_utf8_lossy(&seen)
            ),
        }
        let so_far = String::from_utf8_lossy(&seen).into_owned();
        if so_far.contains(text) {
            return so_far;
        }
    }
}

pub async fn type_in(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Binary(text.as_bytes().to_vec().into()))
        .await
        .unwrap();
}
