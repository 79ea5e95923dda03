//! Every route is behind the token, the Host check and the Origin check.

mod support;

use plinth_server::ROUTES;
use reqwest::StatusCode;
use support::Home;

fn request(server: &support::Server, method: &str, path: &str) -> reqwest::RequestBuilder {
    let url = format!("{}{path}", server.url);
    let req = server.client().request(method.parse().unwrap(), url);
    if method == "POST" {
        req.json(&serde_json::json!({}))
    } else {
        req
    }
}

#[tokio::test]
async fn every_route_refuses_a_request_without_the_token() {
    let home = Home::new();
    let server = home.serve();
    for (method, path) in ROUTES
        .iter()
        .chain(&[("GET", "/api/no/such/route"), ("POST", "/")])
    {
        let res = request(&server, method, path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        let wrong = request(&server, method, path)
            .bearer_auth("0".repeat(48))
            .send()
            .await
            .unwrap();
        assert_eq!(
            wrong.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a wrong token"
        );
    }
}

#[tokio::test]
async fn every_route_refuses_a_foreign_origin_even_with_the_token() {
    let home = Home::new();
    let server = home.serve();
    for (method, path) in ROUTES {
        let res = request(&server, method, path)
            .bearer_auth(&server.token)
            .header("origin", "http://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn every_route_refuses_a_foreign_host_even_with_the_token() {
    let home = Home::new();
    let server = home.serve();
    for (method, path) in ROUTES {
        let res = request(&server, method, path)
            .bearer_auth(&server.token)
            .header("host", format!("rebound.example:{}", server.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
}

#[tokio::test]
async fn the_token_opens_every_route_and_own_origin_is_fine() {
    let home = Home::new();
    let server = home.serve();
    for (method, path) in ROUTES {
        let res = request(&server, method, path)
            .bearer_auth(&server.token)
            .header("origin", server.url.clone())
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&res.status()),
            "{method} {path}: {}",
            res.status()
        );
    }
}

#[tokio::test]
async fn a_browser_exchanges_the_token_once_for_a_cookie() {
    let home = Home::new();
    let server = home.serve();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(format!("{}/?token={}&tab=2", server.url, server.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        res.headers()["location"],
        "/?tab=2",
        "the token leaves the address bar"
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(
        !cookie.contains(&server.token),
        "the cookie is not the token"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let res = no_redirects
        .get(format!("{}/api/health", server.url))
        .header("cookie", pair)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    // A wrong token gets no cookie; the page loads and tells the user (it holds no secrets).
    let wrong = no_redirects
        .get(format!("{}/?token={}", server.url, "f".repeat(48)))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::OK);
    assert!(wrong.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn the_page_and_its_files_load_without_the_token_but_the_api_does_not() {
    let home = Home::new();
    let server = home.serve();
    for path in ["/", "/tasks/some-task", "/inspector"] {
        let res = request(&server, "GET", path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        let kind = res.headers()["content-type"].to_str().unwrap().to_string();
        assert!(kind.starts_with("text/html"), "GET {path}: {kind}");
    }
    let res = request(&server, "GET", "/assets/no-such-bundle.js")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "a missing bundle is not the page"
    );
    let res = request(&server, "GET", "/")
        .header("host", format!("rebound.example:{}", server.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the Host check still applies"
    );
    let res = request(&server, "GET", "/api/tasks").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let home = Home::new();
    let server = home.serve();
    // RFC 9110 §11.1: the scheme name is case-insensitive; the token itself is not.
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let res = server
            .client()
            .get(format!("{}/api/health", server.url))
            .header("authorization", format!("{scheme} {}", server.token))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "scheme {scheme:?}");
    }
    let wrong_token = server
        .client()
        .get(format!("{}/api/health", server.url))
        .header(
            "authorization",
            format!("bearer {}", server.token.to_uppercase()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_token.status(), StatusCode::UNAUTHORIZED);
}
