//! A person's answer to the question a task's agent waits on: the choice their words name
//! goes to the agent as the `answer` signal (held for it while its agent host starts).

use actix::ResponseFuture;
use plinth_kernel::{Ctx, Handle};
use plinth_wasm::wit::Signal;

use super::error::TaskError;
use super::protocol::AnswerTask;
use super::record::Task;
use super::state::TaskService;

impl Handle<AnswerTask> for TaskService {
    type Result = ResponseFuture<Result<Task, TaskError>>;

    fn handle(&mut self, msg: AnswerTask, _ctx: &mut Ctx<'_, Self>) -> Self::Result {
        let task = match self.get(&msg.id) {
            Ok(task) => task,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        let choice = match pick(&task, &msg.choice) {
            Ok(choice) => choice,
            Err(err) => return Box::pin(async move { Err(err) }),
        };
        let handed = self.signal_agent(&task.id, Signal::Answer(choice));
        Box::pin(async move {
            handed.await?;
            Ok(task)
        })
    }
}

/// The id of the choice `given` names in the question `task` waits on.
fn pick(task: &Task, given: &str) -> Result<String, TaskError> {
    let question = task
        .agent_question
        .as_ref()
        .filter(|_| task.lifecycle.is_active());
    let Some(question) = question else {
        return Err(TaskError::WrongState {
            id: task.id.clone(),
            state: if task.lifecycle.is_active() {
                "not waiting on a question"
            } else {
                task.lifecycle.name()
            },
            action: "an answer",
            needs: "waiting on a question its agent asked (send a message instead)",
        });
    };
    question
        .pick(given)
        .map(|c| c.id.clone())
        .ok_or_else(|| TaskError::UnknownChoice {
            id: task.id.clone(),
            given: given.to_string(),
            choices: question.choices_text(),
        })
}
