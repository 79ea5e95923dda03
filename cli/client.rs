//! The CLI's side of the API: finds the running server through `server.json` and turns
//! every failure into one actionable line.

use plinth_server::{Home, ServerFile};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::failure::{Failure, code};
use crate::limits::CLIENT_CONNECT_TIMEOUT;

pub struct Client {
    server: ServerFile,
    http: reqwest::Client,
}

impl Client {
    pub fn connect(home: &Home) -> Result<Client, Failure> {
        let server = ServerFile::find(home)?;
        Ok(Client::for_server(server))
    }

    pub fn for_server(server: ServerFile) -> Client {
        let http = reqwest::Client::builder()
            .connect_timeout(CLIENT_CONNECT_TIMEOUT)
            .build()
            .expect("a client with no TLS always builds");
        Client { server, http }
    }

    pub fn server(&self) -> &ServerFile {
        &self.server
    }

    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.server.url))
            .bearer_auth(&self.server.token)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let response = self
            .send(
                self.request(reqwest::Method::GET, path)
                    .header("accept", "application/json"),
            )
            .await?;
        decode(response).await
    }

    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Failure> {
        let response = self
            .send(self.request(reqwest::Method::POST, path).json(body))
            .await?;
        decode(response).await
    }

    /// Sends, and maps transport failures and error statuses to a [`Failure`].
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, Failure> {
        let response = request.send().await.map_err(|err| self.unreachable(err))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let error = body["error"]
            .as_str()
            .unwrap_or(status.canonical_reason().unwrap_or("error"));
        let message = match body["hint"].as_str() {
            Some(hint) => format!("{error} ({hint})"),
            None => error.to_string(),
        };
        Err(Failure::new(code::FAILED, message))
    }

    /// Opens `path` as a server-sent event stream: the data of each message, until the
    /// connection ends (keep-alive comments and empty messages are skipped).
    pub async fn stream(
        &self,
        path: &str,
    ) -> Result<impl futures::Stream<Item = String> + use<>, Failure> {
        use eventsource_stream::Eventsource;
        use futures::StreamExt;
        let request = self
            .request(reqwest::Method::GET, path)
            .header("accept", "text/event-stream");
        let response = self.send(request).await?;
        Ok(response
            .bytes_stream()
            .eventsource()
            .take_while(|item| futures::future::ready(item.is_ok()))
            .filter_map(|item| {
                futures::future::ready(item.ok().map(|m| m.data).filter(|d| !d.is_empty()))
            }))
    }

    fn unreachable(&self, err: reqwest::Error) -> Failure {
        if err.is_connect() || err.is_timeout() {
            Failure::new(
                code::USAGE,
                format!(
                    "no plinth server answers at {} (pid {}); start one with `plinth serve`",
                    self.server.url, self.server.pid
                ),
            )
        } else {
            Failure::other(format!("talking to {} failed: {err}", self.server.url))
        }
    }
}

async fn decode<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Failure> {
    response
        .json()
        .await
        .map_err(|err| Failure::other(format!("the server's answer was not understood: {err}")))
}

/// `key=value&…` with values percent-encoded.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", encode(v))))
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Percent-encodes everything but unreserved characters (so `/` in an actor name stays
/// inside one path segment).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'*' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_skips_absent_values_and_encodes() {
        let q = super::query(&[
            ("after", Some("3".into())),
            ("task", None),
            ("kind", Some("a b&c".into())),
        ]);
        assert_eq!(q, "?after=3&kind=a%20b%26c");
        assert_eq!(super::query(&[("x", None)]), "");
    }
}
