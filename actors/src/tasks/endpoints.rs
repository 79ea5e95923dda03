//! Where a task's sandbox reaches plinth: the hook endpoint and the model proxy, on a
//! listener of their own (see the server's `sandbox_api`), at an address a container can
//! reach (the gateway of plinth's Docker network, see [`GatewayListener`]) or, in local
//! mode, loopback.

use std::net::IpAddr;

use crate::task_inputs::Sandbox;

use super::keys::TaskKeys;

/// Makes plinth's sandbox listener listen on a Docker network's gateway, the address a
/// container on that network reaches the host by. Implemented by the server, which owns the
/// listener; called when a Docker task's agent is about to start, since the network (and
/// so its gateway) is only known, and may only exist, by then.
pub trait GatewayListener: Send + Sync {
    /// The listener's base URL (`http://gateway:port`) on `gateway`, binding it the first
    /// time; later calls for the same address answer at once.
    fn listen_on(&self, gateway: IpAddr) -> Result<String, std::io::Error>;
}

/// Base URLs (`http://host:port`) of the sandbox listener, by the sandboxes that use them;
/// `None` where plinth does not listen. The server knows only `local` at start; a Docker
/// task's URL is found when its agent starts ([`super::reach`]).
#[derive(Clone, Debug, Default)]
pub struct SandboxEndpoints {
    pub local: Option<String>,
    pub docker: Option<String>,
}

impl SandboxEndpoints {
    /// The variables a task's agent gets: the hook URL and token, and the model proxy as
    /// each provider's clients take it (Anthropic's, OpenAI's and Gemini's base URL and
    /// key variables, every key being the task's own token). Empty when the sandbox
    /// cannot reach plinth.
    pub fn env_for(&self, sandbox: Sandbox, task: &str, keys: &TaskKeys) -> Vec<(String, String)> {
        let base = match sandbox {
            Sandbox::Docker => self.docker.as_deref(),
            Sandbox::Local => self.local.as_deref(),
        };
        let Some(base) = base else {
            return Vec::new();
        };
        let token = keys.token(task);
        let llm = format!("{base}/tasks/{task}/llm");
        vec![
            ("PLINTH_TASK".into(), task.into()),
            (
                "PLINTH_HOOK_URL".into(),
                format!("{base}/tasks/{task}/hooks"),
            ),
            ("PLINTH_HOOK_TOKEN".into(), token.clone()),
            ("ANTHROPIC_BASE_URL".into(), llm.clone()),
            ("ANTHROPIC_API_KEY".into(), token.clone()),
            ("OPENAI_BASE_URL".into(), format!("{llm}/openai/v1")),
            ("OPENAI_API_KEY".into(), token.clone()),
            ("GOOGLE_GEMINI_BASE_URL".into(), format!("{llm}/gemini")),
            ("GEMINI_API_KEY".into(), token),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_task_gets_the_gateways_urls_and_its_own_token() {
        let endpoints = SandboxEndpoints {
            local: Some("http://127.0.0.1:7434".into()),
            docker: Some("http://172.17.0.1:7434".into()),
        };
        let keys = TaskKeys::new(b"s".to_vec());
        let env = endpoints.env_for(Sandbox::Docker, "t-1", &keys);
        let get = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("ANTHROPIC_BASE_URL").unwrap(),
            "http://172.17.0.1:7434/tasks/t-1/llm"
        );
        assert_eq!(
            get("PLINTH_HOOK_URL").unwrap(),
            "http://172.17.0.1:7434/tasks/t-1/hooks"
        );
        assert!(keys.verify("t-1", &get("ANTHROPIC_API_KEY").unwrap()));
        let local = endpoints.env_for(Sandbox::Local, "t-1", &keys);
        assert!(
            local
                .iter()
                .any(|(_, v)| v.starts_with("http://127.0.0.1:7434/"))
        );
    }

    #[test]
    fn openai_and_gemini_clients_find_the_proxy_under_their_own_prefixes_with_the_task_token() {
        let endpoints = SandboxEndpoints {
            local: None,
            docker: Some("http://172.17.0.1:7434".into()),
        };
        let keys = TaskKeys::new(b"s".to_vec());
        let env = endpoints.env_for(Sandbox::Docker, "t-2", &keys);
        let get = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(
            get("OPENAI_BASE_URL").unwrap(),
            "http://172.17.0.1:7434/tasks/t-2/llm/openai/v1"
        );
        assert_eq!(
            get("GOOGLE_GEMINI_BASE_URL").unwrap(),
            "http://172.17.0.1:7434/tasks/t-2/llm/gemini"
        );
        for key in ["OPENAI_API_KEY", "GEMINI_API_KEY"] {
            assert!(keys.verify("t-2", &get(key).unwrap()), "{key}");
        }
    }

    #[test]
    fn a_sandbox_that_cannot_reach_plinth_gets_nothing() {
        let endpoints = SandboxEndpoints::default();
        assert!(
            endpoints
                .env_for(Sandbox::Docker, "t", &TaskKeys::new(b"s".to_vec()))
                .is_empty()
        );
    }
}
