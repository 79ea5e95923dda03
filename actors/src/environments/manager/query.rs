//! Reading what the manager holds: one task's environment, the listing of all of them, and
//! the gateway a task's container reaches plinth through.

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};

use super::off_thread::off_thread;
use super::protocol::{
    Environment, EnvironmentError, GetEnvironment, ListEnvironments, Listing, SandboxGateway,
};
use super::state::EnvironmentManager;
use crate::environments::docker::container::ContainerError;
use crate::environments::docker::exec::block_on_docker;
use crate::environments::docker::network;
use crate::environments::record::{EnvironmentInfo, EnvironmentKind};

impl Handle<GetEnvironment> for EnvironmentManager {
    type Result = Option<Environment>;

    fn handle(&mut self, msg: GetEnvironment, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let state = self.state.lock().expect("environment state poisoned");
        let entry = state.entries.get(&msg.task)?;
        Some(Environment::of(&entry.info, entry.sandbox.clone()?))
    }
}

impl Handle<ListEnvironments> for EnvironmentManager {
    type Result = Listing;

    fn handle(&mut self, _msg: ListEnvironments, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let state = self.state.lock().expect("environment state poisoned");
        let mut environments: Vec<EnvironmentInfo> =
            state.entries.values().map(|e| e.info.clone()).collect();
        environments.sort_by_key(|e| e.created_at);
        Listing {
            environments,
            orphans: state.orphans.clone(),
            docker_error: self.docker.current().err(),
        }
    }
}

impl Handle<SandboxGateway> for EnvironmentManager {
    type Result = ResponseFuture<Result<Option<std::net::IpAddr>, EnvironmentError>>;

    fn handle(&mut self, msg: SandboxGateway, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let found = self.lookup(&msg.task);
        let docker = self.docker.clone();
        let network = self.settings.config.docker.network.clone();
        Box::pin(async move {
            let info = found?;
            let Some(id) = info
                .container
                .filter(|_| info.kind == EnvironmentKind::Docker)
            else {
                return Ok(None);
            };
            off_thread(move || {
                let client = docker.get()?;
                let gateway = block_on_docker(async move {
                    network::container_gateway(&client, &id, &network)
                        .await
                        .map_err(|source| ContainerError::Docker { id, source })
                })?;
                Ok(gateway)
            })
            .await
        })
    }
}
