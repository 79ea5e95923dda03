//! Which headers cross the proxy. Going up: everything the client sent except its
//! credentials (headers, and a `key` in the query, as Google's clients may send it),
//! hop-by-hop headers and what the proxy's own client sets, plus the user's real
//! credentials. Coming back: everything except hop-by-hop headers.

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};

use super::credentials::{Credentials, OAUTH_BETA};

/// Meaningful for one connection only (RFC 9110 §7.6.1), plus the proxy-era ones.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Never forwarded upstream: the client's credentials (the task token), what the
/// upstream client sets itself (`host`, `content-length`), and `accept-encoding`, because
/// the proxy must read the reply as it passes and has no decompressor for it.
const NOT_UPSTREAM: &[&str] = &[
    "x-api-key",
    "authorization",
    "x-goog-api-key",
    "host",
    "content-length",
    "accept-encoding",
];

const ANTHROPIC_BETA: &str = "anthropic-beta";

/// The token the client presented: `x-api-key` (Claude Code's `ANTHROPIC_API_KEY`), else
/// `x-goog-api-key` (Google's clients), else `Authorization: Bearer` (OpenAI's clients,
/// Claude Code's `ANTHROPIC_AUTH_TOKEN`), else a `key` in the query (Google's REST form).
pub fn client_token<'a>(headers: &'a HeaderMap, query: Option<&'a str>) -> Option<&'a str> {
    for name in ["x-api-key", "x-goog-api-key"] {
        if let Some(key) = headers.get(name).and_then(|v| v.to_str().ok()) {
            return Some(key.trim());
        }
    }
    crate::guard::bearer_token(headers).or_else(|| {
        query?
            .split('&')
            .find_map(|pair| pair.strip_prefix("key="))
            .map(str::trim)
    })
}

/// The query as it goes upstream: without a `key` (the task's token, in Google's REST
/// form); `None` when nothing is left.
pub fn upstream_query(query: Option<&str>) -> Option<String> {
    let kept: Vec<&str> = query?
        .split('&')
        .filter(|pair| !pair.is_empty() && *pair != "key" && !pair.starts_with("key="))
        .collect();
    (!kept.is_empty()).then(|| kept.join("&"))
}

/// Headers named by `Connection` are hop-by-hop too.
fn connection_listed(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

fn strip(headers: &mut HeaderMap, names: &[&str]) {
    for name in connection_listed(headers) {
        headers.remove(name);
    }
    for name in names {
        headers.remove(*name);
    }
}

/// The client's headers as they go upstream, with `credentials` in place of the client's.
pub fn upstream_headers(client: &HeaderMap, credentials: &Credentials) -> HeaderMap {
    let mut headers = client.clone();
    strip(&mut headers, HOP_BY_HOP);
    strip(&mut headers, NOT_UPSTREAM);
    match credentials {
        Credentials::ApiKey(key) => {
            if let Ok(value) = HeaderValue::from_str(key) {
                headers.insert("x-api-key", sensitive(value));
            }
        }
        Credentials::OAuth(token) => {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                headers.insert(header::AUTHORIZATION, sensitive(value));
            }
            add_oauth_beta(&mut headers);
        }
        Credentials::Bearer(token) => {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
                headers.insert(header::AUTHORIZATION, sensitive(value));
            }
        }
        Credentials::GoogleApiKey(key) => {
            if let Ok(value) = HeaderValue::from_str(key) {
                headers.insert("x-goog-api-key", sensitive(value));
            }
        }
        Credentials::None => {}
    }
    headers
}

fn sensitive(mut value: HeaderValue) -> HeaderValue {
    value.set_sensitive(true);
    value
}

/// Joins the client's `anthropic-beta` flags into one header and adds [`OAUTH_BETA`]
/// unless it is there: a sandbox given a plain token does not know the upstream needs it.
fn add_oauth_beta(headers: &mut HeaderMap) {
    let mut flags: Vec<String> = headers
        .get_all(ANTHROPIC_BETA)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|flag| flag.trim().to_string())
        .filter(|flag| !flag.is_empty())
        .collect();
    if !flags.iter().any(|flag| flag == OAUTH_BETA) {
        flags.push(OAUTH_BETA.to_string());
    }
    if let Ok(value) = HeaderValue::from_str(&flags.join(",")) {
        headers.insert(ANTHROPIC_BETA, value);
    }
}

/// The upstream's response headers as they go to the client. A stream loses its
/// `content-length` (if it had one): the proxy may end it with an error event of its own.
pub fn client_headers(upstream: &HeaderMap, streamed: bool) -> HeaderMap {
    let mut headers = upstream.clone();
    strip(&mut headers, HOP_BY_HOP);
    if streamed {
        headers.remove(header::CONTENT_LENGTH);
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn the_token_comes_from_x_api_key_or_a_bearer_header() {
        assert_eq!(client_token(&map(&[("x-api-key", "k")]), None), Some("k"));
        assert_eq!(
            client_token(&map(&[("authorization", "Bearer t")]), None),
            Some("t")
        );
        assert_eq!(
            client_token(&map(&[("authorization", "bearer  t ")]), None),
            Some("t")
        );
        assert_eq!(
            client_token(&map(&[("authorization", "Basic abc")]), None),
            None
        );
        assert_eq!(client_token(&map(&[]), None), None);
    }

    #[test]
    fn a_google_client_sends_its_token_as_x_goog_api_key_or_in_the_query() {
        assert_eq!(
            client_token(&map(&[("x-goog-api-key", "g")]), Some("alt=sse")),
            Some("g")
        );
        assert_eq!(client_token(&map(&[]), Some("alt=sse&key=q")), Some("q"));
        assert_eq!(client_token(&map(&[]), Some("alt=sse&keys=q")), None);
    }

    #[test]
    fn the_key_in_a_query_never_goes_upstream() {
        assert_eq!(
            upstream_query(Some("alt=sse&key=tok")).as_deref(),
            Some("alt=sse")
        );
        assert_eq!(upstream_query(Some("key=tok")), None);
        assert_eq!(
            upstream_query(Some("keys=1&key")).as_deref(),
            Some("keys=1")
        );
        assert_eq!(upstream_query(None), None);
    }

    #[test]
    fn openai_and_google_credentials_go_in_their_own_headers() {
        let client = map(&[("authorization", "Bearer task"), ("x-goog-api-key", "task")]);
        let up = upstream_headers(&client, &Credentials::Bearer("sk-real".into()));
        assert_eq!(up.get("authorization").unwrap(), "Bearer sk-real");
        assert!(up.get("x-goog-api-key").is_none());
        let up = upstream_headers(&client, &Credentials::GoogleApiKey("g-real".into()));
        assert_eq!(up.get("x-goog-api-key").unwrap(), "g-real");
        assert!(up.get("authorization").is_none());
    }

    #[test]
    fn the_client_credentials_and_hop_by_hop_headers_never_go_upstream() {
        let client = map(&[
            ("x-api-key", "task-token"),
            ("authorization", "Bearer task-token"),
            ("connection", "keep-alive, x-private"),
            ("x-private", "1"),
            ("host", "proxy:1"),
            ("content-length", "10"),
            ("accept-encoding", "gzip"),
            ("anthropic-version", "2023-06-01"),
            ("anthropic-beta", "a-1,b-2"),
            ("content-type", "application/json"),
        ]);
        let up = upstream_headers(&client, &Credentials::ApiKey("real".into()));
        assert_eq!(up.get("x-api-key").unwrap(), "real");
        for gone in [
            "authorization",
            "connection",
            "x-private",
            "host",
            "content-length",
            "accept-encoding",
        ] {
            assert!(up.get(gone).is_none(), "{gone} was forwarded");
        }
        assert_eq!(up.get("anthropic-version").unwrap(), "2023-06-01");
        assert_eq!(up.get("anthropic-beta").unwrap(), "a-1,b-2");
        assert_eq!(up.get("content-type").unwrap(), "application/json");

        let none = upstream_headers(&client, &Credentials::None);
        assert!(none.get("x-api-key").is_none() && none.get("authorization").is_none());
    }

    #[test]
    fn oauth_sends_a_bearer_token_and_adds_the_oauth_beta_flag_once() {
        let client = map(&[
            ("x-api-key", "task"),
            ("anthropic-beta", "a-1"),
            ("anthropic-beta", "b-2"),
        ]);
        let up = upstream_headers(&client, &Credentials::OAuth("oat".into()));
        assert_eq!(up.get("authorization").unwrap(), "Bearer oat");
        assert!(up.get("x-api-key").is_none());
        let betas: Vec<_> = up.get_all("anthropic-beta").iter().collect();
        assert_eq!(betas, ["a-1,b-2,oauth-2025-04-20"]);

        let client = map(&[("anthropic-beta", "oauth-2025-04-20")]);
        let up = upstream_headers(&client, &Credentials::OAuth("oat".into()));
        assert_eq!(up.get("anthropic-beta").unwrap(), "oauth-2025-04-20");
    }

    #[test]
    fn a_streamed_reply_loses_content_length_and_hop_by_hop_headers() {
        let upstream = map(&[
            ("content-length", "5"),
            ("transfer-encoding", "chunked"),
            ("request-id", "r"),
        ]);
        let streamed = client_headers(&upstream, true);
        assert!(
            streamed.get("content-length").is_none() && streamed.get("transfer-encoding").is_none()
        );
        assert_eq!(streamed.get("request-id").unwrap(), "r");
        assert_eq!(
            client_headers(&upstream, false)
                .get("content-length")
                .unwrap(),
            "5"
        );
    }
}
