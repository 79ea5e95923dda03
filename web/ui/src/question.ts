// A question an agent waits on: answering it, and the two answers that fit where there is
// no room for all (a task's row, a browser notification's actions).
import { post } from "./api";
import { putTask } from "./tasks";
import type { Choice, Question, Task } from "./types";

/** Answers `task`'s question with `choice` (its id); the task as it is then. */
export async function answer(task: string, choice: string): Promise<Task> {
  const updated = await post<Task>(`/api/tasks/${encodeURIComponent(task)}/answer`, { choice });
  putTask(updated);
  return updated;
}

/** The plain yes and the no of a question, when it has them: approve once, deny. */
export function approveDeny(question: Question): { approve?: Choice; deny?: Choice } {
  return {
    approve: question.choices.find((c) => c.kind === "allow") ?? question.choices.find((c) => c.kind === "allow-always"),
    deny: question.choices.find((c) => c.kind === "deny"),
  };
}

/** The question as a notification's body: its text, then what it is about. */
export function questionBody(question: Question): string {
  return question.detail ? `${question.text}\n${question.detail}` : question.text;
}
