//! A running `plinth serve`, talked to over HTTP with its token; killed on drop.

use std::process::Child;
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub url: String,
    pub token: String,
}

impl Server {
    /// The process, before its address and token are known.
    pub(crate) fn new(child: Child) -> Server {
        Server {
            child,
            url: String::new(),
            token: String::new(),
        }
    }

    /// Every stored event matching `filter` (a query such as `task=ID` or `kind=K`) after
    /// `after`, read page by page.
    pub async fn events_after(&self, filter: &str, mut after: u64) -> Vec<serde_json::Value> {
        const PAGE: usize = 500;
        let mut out: Vec<serde_json::Value> = Vec::new();
        loop {
            let page: Vec<serde_json::Value> = self
                .get_json(&format!("/api/events?{filter}&after={after}&limit={PAGE}"))
                .await;
            let n = page.len();
            if let Some(last) = page.last() {
                after = last["seq"].as_u64().unwrap();
            }
            out.extend(page);
            if n < PAGE {
                return out;
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.url.rsplit(':').next().unwrap().parse().unwrap()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::new()
    }

    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client()
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("accept", "application/json")
    }

    /// GET `path` with the token, as JSON; panics unless the answer is a 2xx with JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let res = self.get(path).send().await.expect("GET");
        let status = res.status();
        let text = res.text().await.expect("read the body");
        assert!(status.is_success(), "GET {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("GET {path}: {e}: {text}"))
    }

    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client()
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
    }

    /// Creates a task from `body` (`POST /api/tasks`, which must answer 201); its id.
    pub async fn create_task(&self, body: &serde_json::Value) -> String {
        let res = self
            .post("/api/tasks")
            .json(body)
            .send()
            .await
            .expect("POST /api/tasks");
        let status = res.status();
        let text = res.text().await.expect("read the body");
        assert_eq!(status.as_u16(), 201, "POST /api/tasks: {text}");
        let task: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("POST /api/tasks: {e}: {text}"));
        task["id"].as_str().expect("the task's id").to_string()
    }

    /// Creates a task for the scripted agent running `script` on `repo` in `sandbox`; its id.
    pub async fn create_scripted(
        &self,
        repo: &std::path::Path,
        script: &str,
        sandbox: &str,
    ) -> String {
        self.create_task(&serde_json::json!({
            "prompt": script, "repo": repo, "agent": "scripted", "sandbox": sandbox,
        }))
        .await
    }

    /// Polls task `id` (`GET /api/tasks/{id}`) until `done` holds for it, at most `limit`;
    /// the task as it then is.
    pub async fn wait_for_task(
        &self,
        id: &str,
        limit: Duration,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let task: serde_json::Value = self.get_json(&format!("/api/tasks/{id}")).await;
            if done(&task) {
                return task;
            }
            assert!(
                Instant::now() < deadline,
                "gave up waiting; the task is {task:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.pid(), signal);
        }
    }

    /// Waits for the process to end, at most `limit`; `None` if it is still running.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    pub fn kill9(mut self) {
        self.signal(libc::SIGKILL);
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
