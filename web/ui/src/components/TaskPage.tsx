import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { lazy, Suspense } from "preact/compat";
import { get, post, describe } from "../api";
import { navigate, type TaskTab } from "../router";
import { tasks, putTask, needsUser } from "../tasks";
import { StatusBadge, Since } from "./Status";
import { TranscriptView } from "./Transcript";
import { MessageBox } from "./MessageBox";
import { DiffView } from "./DiffView";
import { TaskNotes } from "./Notifications";
import { title } from "./TaskList";
import { SpendLine } from "./SpendLine";
import { QuestionCard } from "./QuestionCard";
import type { Task } from "../types";

// xterm is big: it loads when a terminal is first opened, not with the page.
const TerminalView = lazy(() => import("./TerminalView"));

const TABS: [TaskTab, string, string][] = [
  ["transcript", "Transcript", "1"],
  ["diff", "Diff", "2"],
  ["terminal", "Terminal", "3"],
  ["notifications", "Notifications", "4"],
];

export function TaskPage({ id, tab }: { id: string; tab: TaskTab }) {
  const entry = tasks.value.get(id);
  const error = useSignal<string | null>(null);
  const busy = useSignal<string | null>(null);
  const notice = useSignal<string | null>(null);

  useEffect(() => {
    if (entry) return;
    get<Task>(`/api/tasks/${encodeURIComponent(id)}`)
      .then(putTask)
      .catch((err) => (error.value = describe(err)));
  }, [id]);

  async function act(what: "stop" | "resume" | "archive" | "sync") {
    busy.value = what;
    error.value = null;
    notice.value = null;
    try {
      const res = await post<Task | { message?: string }>(`/api/tasks/${encodeURIComponent(id)}/${what}`);
      if (what === "sync") notice.value = (res as { message?: string }).message ?? "synced";
      else putTask(res as Task);
      if (what === "archive") navigate({ page: "home" });
    } catch (err) {
      error.value = `${what}: ${describe(err)}`;
    } finally {
      busy.value = null;
    }
  }

  if (!entry) {
    return (
      <section class="task-page">
        <p class={error.value ? "error" : "muted"} role={error.value ? "alert" : undefined}>
          {error.value ?? "Loading the task…"}
        </p>
      </section>
    );
  }
  const { task, since } = entry;
  const running = task.lifecycle === "running" || task.lifecycle === "starting";
  return (
    <section class="task-page" data-task={task.id}>
      <a class="back" href="/" onClick={(e) => (e.preventDefault(), navigate({ page: "home" }))}>
        ← Tasks
      </a>
      <header class={`task-head ${needsUser(task.status) ? "needs-user" : ""}`}>
        <div class="line">
          <StatusBadge status={task.status} />
          <span class="muted">
            for <Since since={since} />
          </span>
          <h1 title={task.prompt}>{title(task)}</h1>
        </div>
        <SpendLine task={task} />
        <div class="meta">
          <code>{task.id}</code> · {task.agent} · {task.project} · <code>{task.branch}</code> from <code>{task.base_branch}</code> ·{" "}
          {task.unsafe_sandbox ? <strong class="unsafe-tag">local (unsafe)</strong> : "docker"}
        </div>
        {/* Always there, so a detail coming and going does not move the transcript. */}
        <div class={`detail ${task.failure ? "error" : ""}`} title={task.failure ?? task.detail ?? ""}>
          {task.failure ?? task.detail ?? " "}
        </div>
        {task.question && <QuestionCard task={task.id} question={task.question} />}
        <div class="actions">
          {running && (
            <button onClick={() => act("stop")} disabled={!!busy.value}>
              Stop
            </button>
          )}
          {task.lifecycle === "stopped" && (
            <button onClick={() => act("resume")} disabled={!!busy.value}>
              Resume
            </button>
          )}
          <button onClick={() => act("sync")} disabled={!!busy.value} title="bring its commits into your repository as its branch">
            Sync branch
          </button>
          {!running && (
            <button onClick={() => act("archive")} disabled={!!busy.value}>
              Archive
            </button>
          )}
          {busy.value && <span class="muted">{busy.value}…</span>}
        </div>
        {notice.value && (
          <p class="notice" role="status">
            {notice.value}
          </p>
        )}
        {error.value && (
          <p class="error" role="alert">
            {error.value}
          </p>
        )}
      </header>
      <div class="tabs" role="tablist">
        {TABS.map(([t, label, key]) => (
          <button
            key={t}
            role="tab"
            aria-selected={tab === t}
            class={tab === t ? "active" : ""}
            onClick={() => navigate({ page: "task", id, tab: t }, true)}
          >
            {label} <kbd>{key}</kbd>
          </button>
        ))}
      </div>
      <div class="tab-body">
        {/* The transcript stays mounted (hidden) so its stream keeps its place. */}
        <div class="transcript-pane" hidden={tab !== "transcript"}>
          <TranscriptView id={id} />
          <MessageBox id={id} enabled={task.lifecycle === "running"} />
        </div>
        {tab === "diff" && <DiffView id={id} status={task.status} />}
        {tab === "terminal" && (
          <Suspense fallback={<p class="muted">Loading the terminal…</p>}>
            <TerminalView id={id} />
          </Suspense>
        )}
        {tab === "notifications" && <TaskNotes id={id} />}
      </div>
    </section>
  );
}
