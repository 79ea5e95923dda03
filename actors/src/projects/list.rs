//! [`ListProjects`]: every registered project, oldest first.

use plinth_kernel::{Ctx, Handle};

use super::error::ProjectError;
use super::protocol::ListProjects;
use super::record::{KEY_PREFIX, Project, ProjectRecord};
use super::state::ProjectService;

impl Handle<ListProjects> for ProjectService {
    type Result = Result<Vec<Project>, ProjectError>;

    fn handle(&mut self, _msg: ListProjects, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let mut projects: Vec<Project> = self
            .store
            .list_state::<ProjectRecord>(KEY_PREFIX)?
            .into_iter()
            .map(|(_, p)| p)
            .collect();
        projects.sort_by_key(|p| p.added_at);
        Ok(projects)
    }
}
