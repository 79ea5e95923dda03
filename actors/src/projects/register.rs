//! [`RegisterProject`]: the repository around a path, recorded once as a project.

use actix::ResponseFuture;
use chrono::Utc;
use plinth_kernel::{Ctx, Handle};
use plinth_store::{NewEvent, Versioned};

use super::error::ProjectError;
use super::protocol::RegisterProject;
use super::record::{KEY_PREFIX, Project, ProjectRecord, ProjectV1};
use super::repository::{directory_name, project_id, repository_root};
use super::state::ProjectService;

impl Handle<RegisterProject> for ProjectService {
    type Result = ResponseFuture<Result<Project, ProjectError>>;

    fn handle(&mut self, msg: RegisterProject, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let store = self.store.clone();
        Box::pin(async move {
            let root = repository_root(&msg.path)?;
            let id = project_id(&root);
            let key = format!("{KEY_PREFIX}{id}");
            if let Some(existing) = store.get_state::<ProjectRecord>(&key)? {
                return Ok(existing);
            }
            let project = ProjectV1 {
                name: directory_name(&root),
                id,
                path: root,
                added_at: Utc::now(),
            };
            let registered = NewEvent::new(
                "project.registered",
                serde_json::to_value(&project).unwrap_or_default(),
            );
            store
                .put_state_and_append(
                    &key,
                    &ProjectRecord::from_latest(project.clone()),
                    vec![registered],
                )
                .await?;
            Ok(project)
        })
    }
}
