//! The one gate in front of every route: the `Host` must be ours (DNS rebinding), a browser's
//! `Origin` must be ours (cross-site requests and WebSockets), and the caller must hold the
//! token, as a bearer header or as the session cookie a browser got by presenting it once.
//! The one exception to the token: GETs outside `/api/`, the browser UI's page and files,
//! which hold no secrets (the page signs in, then calls the API like anyone else).
//!
//! It is a layer over the whole router, fallback included, so a new route cannot forget it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::api_error::ApiError;
use crate::token::AccessToken;

pub struct Guard {
    token: AccessToken,
    hosts: Vec<String>,
    cookie_name: String,
}

impl Guard {
    /// `hosts` are the `Host` values this server answers to, e.g. `127.0.0.1:8080`.
    pub fn new(token: AccessToken, hosts: Vec<String>, port: u16) -> Self {
        Guard {
            token,
            hosts: hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect(),
            // Cookies are shared across ports of a host: a name per port keeps two servers
            // on one machine from signing each other out.
            cookie_name: format!("plinth_session_{port}"),
        }
    }

    fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.hosts.contains(&host)
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        origin
            .strip_prefix("http://")
            .is_some_and(|host| self.host_allowed(host))
    }

    fn has_credentials(&self, headers: &HeaderMap) -> bool {
        if bearer_token(headers).is_some_and(|t| self.token.matches_token(t)) {
            return true;
        }
        cookies(headers)
            .any(|(name, value)| name == self.cookie_name && self.token.matches_cookie(value))
    }

    pub fn session_cookie(&self) -> HeaderValue {
        let value = format!(
            "{}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age=2592000",
            self.cookie_name,
            self.token.cookie_value()
        );
        HeaderValue::from_str(&value).expect("cookie is ASCII")
    }
}

/// The token of an `Authorization: Bearer TOKEN` header. The scheme is matched without
/// regard to case, as HTTP says (RFC 9110 §11.1); the token is taken as it is.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = (&str, &str)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
}

pub async fn check(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match host {
        Some(host) if guard.host_allowed(host) => {}
        Some(host) => {
            return forbidden(
                format!("requests for host {host:?} are refused"),
                "use the URL `plinth` printed (127.0.0.1 or localhost), or start the server with --public-name",
            );
        }
        None => return forbidden("a Host header is required".into(), "use an HTTP/1.1 client"),
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !guard.origin_allowed(origin) {
            return forbidden(
                format!("cross-origin request from {origin:?} refused"),
                "open plinth's own URL instead of calling it from another site",
            );
        }
    }
    if guard.has_credentials(headers) {
        return next.run(req).await;
    }
    if let Some(response) = sign_in_by_link(&guard, &req) {
        return response;
    }
    // The UI's page and files hold no secrets: a browser without the cookie loads them and
    // the page tells the user to sign in. Its API calls still meet the check above.
    if crate::routes::ui::is_ui_request(req.method(), req.uri()) {
        return next.run(req).await;
    }
    ApiError::new(StatusCode::UNAUTHORIZED, "missing or wrong access token")
        .with_hint("send `Authorization: Bearer TOKEN` (the token is in $PLINTH_HOME/server.json), or open the URL `plinth` printed")
        .into_response()
}

/// A browser opening the printed URL `/?token=…` gets the session cookie and is sent to the
/// same page without the token, so it leaves the address bar and the history.
fn sign_in_by_link(guard: &Guard, req: &Request) -> Option<Response> {
    if req.method() != axum::http::Method::GET || req.uri().path().starts_with("/api/") {
        return None;
    }
    let query = req.uri().query()?;
    let mut token = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.strip_prefix("token=") {
            Some(t) => {
                token = Some(t);
                false
            }
            None => true,
        })
        .collect();
    if !guard.token.matches_token(token?) {
        return None;
    }
    let mut location = req.uri().path().to_string();
    if !rest.is_empty() {
        location.push('?');
        location.push_str(&rest.join("&"));
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, guard.session_cookie());
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Some(response)
}

fn forbidden(error: String, hint: &str) -> Response {
    ApiError::new(StatusCode::FORBIDDEN, error)
        .with_hint(hint)
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> Guard {
        Guard::new(
            AccessToken::new("ab".repeat(24)),
            vec!["127.0.0.1:9".into(), "localhost:9".into()],
            9,
        )
    }

    #[test]
    fn host_match_is_exact_and_case_insensitive() {
        let g = guard();
        assert!(g.host_allowed("LOCALHOST:9"));
        assert!(!g.host_allowed("localhost:10"));
        assert!(!g.host_allowed("evil.example:9"));
        assert!(!g.host_allowed("127.0.0.1:9.evil.example"));
    }

    #[test]
    fn origin_must_be_our_own_http_origin() {
        let g = guard();
        assert!(g.origin_allowed("http://127.0.0.1:9"));
        assert!(!g.origin_allowed("https://127.0.0.1:9"));
        assert!(!g.origin_allowed("null"));
        assert!(!g.origin_allowed("http://127.0.0.1:9@evil"));
    }

    #[test]
    fn cookie_is_accepted_only_under_this_ports_name() {
        let g = guard();
        let mut headers = HeaderMap::new();
        let value = format!("other=1; plinth_session_10={}", g.token.cookie_value());
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        assert!(!g.has_credentials(&headers));
        let value = format!("other=1; plinth_session_9={}", g.token.cookie_value());
        headers.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        assert!(g.has_credentials(&headers));
    }
}
