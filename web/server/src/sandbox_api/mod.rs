//! The API tasks' sandboxes call: their agent's hooks and the model proxy, on listeners of
//! their own that a container can reach. Not behind the browser's guard: every request
//! carries its task's token instead ([`plinth_actors::tasks::TaskKeys`]), which only opens
//! that task's endpoints.

mod cut_calls;
mod hooks;
pub mod listener;
mod llm;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use plinth_actors::spend::SpendBook;
use plinth_actors::tasks::{TaskKeys, TaskService};
use plinth_kernel::ChildRef;
use plinth_store::Store;

use crate::limits::HOOK_BODY_LIMIT;
use crate::llm_proxy::{self, ProxyConfig};

#[derive(Clone)]
pub struct SandboxState {
    pub tasks: ChildRef<TaskService>,
    pub keys: TaskKeys,
    /// Tasks' spend: the proxy reports calls into it and asks it before each one.
    pub spend: SpendBook,
}

/// The sandboxes' router; `proxy` says where model calls go and with what credentials.
pub fn router(state: SandboxState, store: Store, proxy: ProxyConfig) -> Router {
    let host = llm::TaskProxyHost::start(
        state.keys.clone(),
        store,
        state.tasks.clone(),
        state.spend.clone(),
    );
    let hooks = Router::new()
        .route("/tasks/{task}/hooks/{name}", post(hooks::post))
        .layer(DefaultBodyLimit::max(HOOK_BODY_LIMIT))
        .with_state(state);
    hooks
        // Unauthenticated and saying nothing: what a container probes to prove it gets
        // through to plinth before its agent starts.
        .route(
            plinth_actors::tasks::reach::HEALTH_PATH,
            get(|| async { "plinth\n" }),
        )
        .nest(llm_proxy::MOUNT, llm_proxy::router(proxy, Arc::new(host)))
        .fallback(hooks::not_found)
}
