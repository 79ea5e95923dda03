//! Which API a request speaks, and what it asks of it, from its method, path and
//! headers: the mock answers Anthropic's Messages API, OpenAI's Chat Completions and
//! Responses APIs, and Gemini's API on one port.

use axum::http::{HeaderMap, Method};
use serde::Serialize;

/// The API a request was answered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// `POST /v1/messages` (Claude Code).
    Anthropic,
    /// `POST /v1/chat/completions` (OpenCode, Aider). OpenAI's side routes (the model
    /// list, unknown paths) count as this too: both OpenAI APIs share their shapes.
    OpenaiChat,
    /// `POST /v1/responses` (Codex CLI).
    OpenaiResponses,
    /// `POST /v1beta/models/{model}:streamGenerateContent` and friends (Gemini CLI).
    Gemini,
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A model call. Gemini names the model and whether to stream in the path; the other
    /// APIs in the body, so these are `None` and `false` for them.
    Generate {
        path_model: Option<String>,
        path_stream: bool,
    },
    CountTokens,
    /// The list of models.
    Models,
    /// One model, by its id (Gemini: its name without `models/`).
    Model(String),
    /// Nothing the mock serves: a 404 in the API's shape.
    NotFound,
}

/// A request's API and endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub api: Api,
    pub endpoint: Endpoint,
}

impl Route {
    /// Where `method path` (the path without its query) goes. Paths several APIs share
    /// (`/v1/models`, unknown ones) are told apart by the headers each SDK sends.
    pub fn of(method: &Method, path: &str, headers: &HeaderMap) -> Route {
        let post = method == Method::POST;
        let get = method == Method::GET;
        let route = |api, endpoint| Route { api, endpoint };
        let generate = Endpoint::Generate {
            path_model: None,
            path_stream: false,
        };
        if let Some(rest) = path
            .strip_prefix("/v1beta/models")
            .or_else(|| path.strip_prefix("/v1/models").filter(|r| r.contains(':')))
        {
            return route(Api::Gemini, gemini(post, get, rest));
        }
        if path.starts_with("/v1beta/") {
            return route(Api::Gemini, Endpoint::NotFound);
        }
        let path = path.strip_prefix("/v1").unwrap_or(path);
        match path {
            "/messages" if post => route(Api::Anthropic, generate),
            "/messages/count_tokens" if post => route(Api::Anthropic, Endpoint::CountTokens),
            "/chat/completions" if post => route(Api::OpenaiChat, generate),
            "/responses" if post => route(Api::OpenaiResponses, generate),
            "/models" if get => route(shared_api(headers), Endpoint::Models),
            _ => {
                let api = if path.starts_with("/responses") {
                    Api::OpenaiResponses
                } else if path.starts_with("/chat/") || path.starts_with("/completions") {
                    Api::OpenaiChat
                } else {
                    shared_api(headers)
                };
                let endpoint = match path.strip_prefix("/models/") {
                    Some(id) if get && !id.contains('/') => Endpoint::Model(id.to_string()),
                    _ => Endpoint::NotFound,
                };
                route(api, endpoint)
            }
        }
    }
}

/// `/v1beta/models…` after that prefix: the list, one model, or a model's action.
fn gemini(post: bool, get: bool, rest: &str) -> Endpoint {
    let Some(name) = rest.strip_prefix('/') else {
        return if get && rest.is_empty() {
            Endpoint::Models
        } else {
            Endpoint::NotFound
        };
    };
    match name.rsplit_once(':') {
        Some((model, action)) if post => {
            let model = Some(model.to_string());
            match action {
                "generateContent" => Endpoint::Generate {
                    path_model: model,
                    path_stream: false,
                },
                "streamGenerateContent" => Endpoint::Generate {
                    path_model: model,
                    path_stream: true,
                },
                "countTokens" => Endpoint::CountTokens,
                _ => Endpoint::NotFound,
            }
        }
        None if get && !name.contains('/') => Endpoint::Model(name.to_string()),
        _ => Endpoint::NotFound,
    }
}

/// Google's SDK sends `x-goog-api-key`; Anthropic's send `anthropic-version` (and
/// usually `x-api-key`); OpenAI's none of these, only `authorization: Bearer`. Anything
/// else is taken for Anthropic, the mock's first API.
fn shared_api(headers: &HeaderMap) -> Api {
    if headers.contains_key("x-goog-api-key") {
        return Api::Gemini;
    }
    let anthropic = headers.contains_key("anthropic-version") || headers.contains_key("x-api-key");
    if !anthropic && headers.contains_key("authorization") {
        Api::OpenaiChat
    } else {
        Api::Anthropic
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(method: Method, path: &str, headers: &[(&'static str, &'static str)]) -> Route {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, value.parse().unwrap());
        }
        Route::of(&method, path, &map)
    }

    fn generate() -> Endpoint {
        Endpoint::Generate {
            path_model: None,
            path_stream: false,
        }
    }

    #[test]
    fn each_apis_model_call_is_told_by_its_path() {
        let post = |path| of(Method::POST, path, &[]);
        assert_eq!(
            post("/v1/messages"),
            Route {
                api: Api::Anthropic,
                endpoint: generate()
            }
        );
        assert_eq!(post("/v1/chat/completions").api, Api::OpenaiChat);
        assert_eq!(post("/chat/completions").endpoint, generate());
        assert_eq!(post("/v1/responses").api, Api::OpenaiResponses);
        assert_eq!(
            post("/v1beta/models/gemini-2.5-pro:streamGenerateContent"),
            Route {
                api: Api::Gemini,
                endpoint: Endpoint::Generate {
                    path_model: Some("gemini-2.5-pro".into()),
                    path_stream: true
                }
            }
        );
        assert_eq!(
            post("/v1/models/gemini-2.5-flash:generateContent").endpoint,
            Endpoint::Generate {
                path_model: Some("gemini-2.5-flash".into()),
                path_stream: false
            }
        );
        assert_eq!(
            post("/v1beta/models/gemini-2.5-pro:countTokens").endpoint,
            Endpoint::CountTokens
        );
        assert_eq!(
            post("/v1/messages/count_tokens").endpoint,
            Endpoint::CountTokens
        );
    }

    #[test]
    fn model_lists_and_unknown_paths_go_by_path_then_headers() {
        let openai = [("authorization", "Bearer k")];
        let anthropic = [("x-api-key", "k"), ("anthropic-version", "2023-06-01")];
        assert_eq!(
            of(Method::GET, "/v1/models", &openai),
            Route {
                api: Api::OpenaiChat,
                endpoint: Endpoint::Models
            }
        );
        assert_eq!(
            of(Method::GET, "/v1/models", &anthropic).api,
            Api::Anthropic
        );
        assert_eq!(
            of(Method::GET, "/v1/models/gpt-5", &openai).endpoint,
            Endpoint::Model("gpt-5".into())
        );
        let google = [("x-goog-api-key", "k")];
        assert_eq!(
            of(Method::GET, "/v1/models", &google),
            Route {
                api: Api::Gemini,
                endpoint: Endpoint::Models
            }
        );
        assert_eq!(
            of(Method::GET, "/v1/models/gemini-2.5-pro", &google).endpoint,
            Endpoint::Model("gemini-2.5-pro".into())
        );
        assert_eq!(
            of(Method::GET, "/v1beta/models", &[]),
            Route {
                api: Api::Gemini,
                endpoint: Endpoint::Models
            }
        );
        assert_eq!(
            of(Method::GET, "/v1beta/models/gemini-2.5-pro", &[]).endpoint,
            Endpoint::Model("gemini-2.5-pro".into())
        );
        for (method, path, api) in [
            (Method::GET, "/v1/messages", Api::Anthropic),
            (Method::HEAD, "/api/hello", Api::Anthropic),
            (Method::GET, "/v1/responses/resp_1", Api::OpenaiResponses),
            (Method::POST, "/v1/chat/other", Api::OpenaiChat),
            (Method::POST, "/v1beta/cachedContents", Api::Gemini),
            (Method::POST, "/v1beta/models/m:embedContent", Api::Gemini),
        ] {
            assert_eq!(
                of(method.clone(), path, &[]),
                Route {
                    api,
                    endpoint: Endpoint::NotFound
                },
                "{method} {path}"
            );
        }
    }
}
