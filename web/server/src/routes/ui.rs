//! The browser UI: the files `npm run build` writes to `web/ui/dist`, embedded in release
//! builds (read from disk in debug builds, so a rebuilt UI needs no cargo build).
//!
//! Any GET outside `/api/` that is not a file is the single-page app's own route
//! (`/tasks/ID`, `/inspector`) and gets `index.html`. These files hold no secrets, so the
//! guard lets them through without the token; everything under `/api/` still needs it.

use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "../ui/dist/"]
#[allow_missing = true]
struct Assets;

/// What `/` answers when the UI was not built: how to build it, and that the API works.
const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>plinth</title>\
<body style=\"font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em\">\
<h1>plinth's browser UI was not built</h1>\
<p>There is no <code>web/ui/dist</code> to serve: a release binary embeds it when it is built, \
a debug binary reads it from the source tree. Build the UI, then (for a release binary) plinth:</p>\
<pre>cd web/ui &amp;&amp; npm ci &amp;&amp; npm run build\ncargo build --release</pre>\
<p><code>scripts/plinth</code> does both. The API under <code>/api/</code> works without it.</p>";

/// True for a request the UI answers: a GET (or HEAD) outside the API.
pub fn is_ui_request(method: &Method, uri: &Uri) -> bool {
    (method == Method::GET || method == Method::HEAD)
        && uri.path() != "/api"
        && !uri.path().starts_with("/api/")
}

pub async fn serve(uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    // rust-embed keeps debug builds' disk reads inside web/ui/dist; refusing `..` here too
    // means no build depends on that alone.
    if path
        .split('/')
        .any(|segment| segment == ".." || segment.contains('\\'))
    {
        return (StatusCode::NOT_FOUND, "no such file").into_response();
    }
    if !path.is_empty()
        && let Some(file) = Assets::get(path)
    {
        return file_response(path, file);
    }
    // A missing asset is a 404, not the page: a stale tab asking for an old bundle must
    // fail visibly rather than parse HTML as JavaScript.
    if path.starts_with("assets/") {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    }
    match Assets::get("index.html") {
        Some(file) => file_response("index.html", file),
        None => (StatusCode::OK, Html(NOT_BUILT)).into_response(),
    }
}

fn file_response(path: &str, file: rust_embed::EmbeddedFile) -> Response {
    let mime = file.metadata.mimetype().to_string();
    // Vite names bundles by their content hash, so they never change; index.html names
    // the current ones and must be asked for again each time.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&mime) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_gets_outside_the_api_are_the_uis() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        assert!(is_ui_request(&Method::GET, &uri("/")));
        assert!(is_ui_request(&Method::GET, &uri("/tasks/t-1")));
        assert!(is_ui_request(&Method::HEAD, &uri("/assets/index.js")));
        assert!(is_ui_request(&Method::GET, &uri("/apis")));
        assert!(!is_ui_request(&Method::GET, &uri("/api/tasks")));
        assert!(!is_ui_request(&Method::GET, &uri("/api")));
        assert!(!is_ui_request(&Method::POST, &uri("/tasks/t-1")));
    }

    #[tokio::test]
    async fn a_path_out_of_the_ui_is_refused_and_a_missing_asset_is_not_the_page() {
        for path in [
            "/../Cargo.toml",
            "/assets/../../Cargo.toml",
            "/a\\b",
            "/assets/nope.js",
        ] {
            let response = serve(path.parse().unwrap()).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        }
        // Anything else is the page (or the page saying how to build it).
        let response = serve("/tasks/t-1".parse().unwrap()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let kind = response.headers()[header::CONTENT_TYPE].to_str().unwrap();
        assert!(kind.starts_with("text/html"), "{kind}");
    }
}
