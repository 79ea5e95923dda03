import { tasks, sortTasks, needsUser, tasksError } from "../tasks";
import { route, navigate } from "../router";
import { StatusBadge, Since } from "./Status";
import type { Task } from "../types";

/** What a task is about, in one line: its prompt's first real line. */
export function title(task: Task): string {
  const lines = task.prompt.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#!") && !l.startsWith("#"));
  return lines[0] ?? task.id;
}

export function TaskList() {
  const r = route.value;
  const list = sortTasks([...tasks.value.values()]);
  const selected = r.page === "task" ? r.id : null;
  return (
    <nav class="tasks" aria-label="Tasks">
      {tasksError.value && (
        <p class="error" role="alert">
          {tasksError.value}
        </p>
      )}
      {list.length === 0 && <p class="muted">No tasks. Press <kbd>n</kbd>.</p>}
      <ul>
        {list.map(({ task, since }) => (
          <li key={task.id}>
            <a
              href={`/tasks/${encodeURIComponent(task.id)}`}
              class={`task-row ${needsUser(task.status) ? "needs-user" : ""} ${selected === task.id ? "selected" : ""}`}
              data-task={task.id}
              data-status={task.status}
              aria-current={selected === task.id ? "page" : undefined}
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
                {task.project} · {task.agent}
              </span>
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
