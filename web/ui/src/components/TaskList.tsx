import { costLabel, money, totalCost } from "../spend";
import { tasks, groupTasks, needsUser, tasksError, type TaskEntry } from "../tasks";
import { route, navigate } from "../router";
import { StatusBadge, Since } from "./Status";
import { QuestionCard } from "./QuestionCard";
import type { Task } from "../types";

/** What a task is about, in one line: its prompt's first real line. */
export function title(task: Task): string {
  const lines = task.prompt.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#!") && !l.startsWith("#"));
  return lines[0] ?? task.id;
}

export function TaskList() {
  const groups = groupTasks([...tasks.value.values()]);
  return (
    <nav class="tasks" aria-label="Tasks">
      {tasksError.value && (
        <p class="error" role="alert">
          {tasksError.value}
        </p>
      )}
      {groups.length === 0 && (
        <p class="muted">
          No tasks. Press <kbd>n</kbd>.
        </p>
      )}
      {groups.map((group) => (
        <section key={group.project ?? ""} class={`group ${group.project === null ? "waiting" : ""}`}>
          <h2>
            {group.project ?? `Needs you (${group.tasks.length})`}
            {group.project !== null && (
              <span class="project-cost muted" title="what this project's tasks have cost">
                {" "}
                {money(totalCost(group.tasks.map((e) => e.task)))}
              </span>
            )}
          </h2>
          <ul>
            {group.tasks.map((entry) => (
              <TaskRow key={entry.task.id} entry={entry} showProject={group.project === null} />
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}

function TaskRow({ entry: { task, since }, showProject }: { entry: TaskEntry; showProject: boolean }) {
  const r = route.value;
  const selected = r.page === "task" && r.id === task.id;
  return (
    <li>
      <a
        href={`/tasks/${encodeURIComponent(task.id)}`}
        class={`task-row ${needsUser(task.status) ? "needs-user" : ""} ${selected ? "selected" : ""}`}
        data-task={task.id}
        data-status={task.status}
        aria-current={selected ? "page" : undefined}
        onClick={(e) => {
          e.preventDefault();
          navigate({ page: "task", id: task.id, tab: r.page === "task" ? r.tab : "transcript" });
        }}
      >
        <span class="row1">
          <StatusBadge status={task.status} />
          <Since since={since} />
        </span>
        <span class="row2">{title(task)}</span>
        <span class="row3">
          {task.unsafe_sandbox && <span class="unsafe-tag">local · </span>}
          {showProject && `${task.project} · `}
          {task.agent} · <code>{task.id}</code>
          {task.spend && task.spend.calls + task.spend.calls_in_flight > 0 && (
            <span class="cost" data-cost={task.spend.cost}>
              {" "}
              · {costLabel(task.spend)}
            </span>
          )}
        </span>
      </a>
      {/* Beside the row's link, not in it: a button inside a link is no button. */}
      {task.question && <QuestionCard task={task.id} question={task.question} compact />}
    </li>
  );
}
