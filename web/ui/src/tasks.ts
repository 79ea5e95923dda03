// The task list, live: a snapshot from the API, then the event stream from the cursor
// the snapshot was taken at. A task's events say *that* it changed; the task itself is
// read again (coalesced), so the list shows what the API would.
import { signal } from "@preact/signals";
import { describe, get } from "./api";
import { EventStream, type StreamState } from "./events";
import type { PlinthEvent, Task } from "./types";

export interface TaskEntry {
  task: Task;
  /** When the task entered its current status, ms since the epoch. */
  since: number;
}

/** Statuses that need the user, in the order they stand out. */
export function needsUser(status: string): boolean {
  return status === "waiting-for-user";
}

/** The list's entry for `task`: the time in its status counts from when the server saw it
 * change, so a reload or a second tab shows the same time. */
export function entryOf(task: Task): TaskEntry {
  return { task, since: Date.parse(task.status_since) };
}

/** Tasks that need the user first, then running ones, then the rest; newest first within. */
export function sortTasks(list: TaskEntry[]): TaskEntry[] {
  const rank = (s: string) =>
    needsUser(s) ? 0 : ["working", "starting", "idle"].includes(s) ? 1 : 2;
  return [...list].sort(
    (a, b) =>
      rank(a.task.status) - rank(b.task.status) ||
      b.task.created_at.localeCompare(a.task.created_at),
  );
}

export interface TaskGroup {
  /** `null` for the tasks that need the user, from every project. */
  project: string | null;
  tasks: TaskEntry[];
}

/** The list as shown: the tasks that need the user first, then each project's (by name). */
export function groupTasks(list: TaskEntry[]): TaskGroup[] {
  const sorted = sortTasks(list);
  const waiting = sorted.filter((e) => needsUser(e.task.status));
  const byProject = new Map<string, TaskEntry[]>();
  for (const e of sorted) {
    if (needsUser(e.task.status)) continue;
    const group = byProject.get(e.task.project) ?? [];
    group.push(e);
    byProject.set(e.task.project, group);
  }
  const groups: TaskGroup[] = waiting.length ? [{ project: null, tasks: waiting }] : [];
  for (const project of [...byProject.keys()].sort()) groups.push({ project, tasks: byProject.get(project)! });
  return groups;
}

/** The ids in the order the list shows them: what j and k walk. */
export function shownOrder(list: TaskEntry[]): string[] {
  return groupTasks(list).flatMap((g) => g.tasks.map((e) => e.task.id));
}

/** Which event kinds change what the list shows about a task. */
export function changesTask(kind: string): boolean {
  return kind === "task.status" || (kind.startsWith("task.") && LIFECYCLE.has(kind.slice(5)));
}
// `spend` and `budget`: the cost shown moves, and a task that reached its budget waits.
const LIFECYCLE = new Set([
  "created", "running", "updated", "finished", "failed", "stopped", "archived", "synced", "spend", "budget",
]);

export const tasks = signal<Map<string, TaskEntry>>(new Map());
export const tasksError = signal<string | null>(null);
export const streamState = signal<StreamState>("connecting");

type Listener = (event: PlinthEvent) => void;
const listeners = new Set<Listener>();
/** Every event of the page's one global stream, for whoever else wants them. */
export function onEvent(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const pending = new Set<string>();
let flushing: ReturnType<typeof setTimeout> | null = null;

function refresh(id: string): void {
  pending.add(id);
  if (flushing) return;
  // Coalesce a burst (a task's status and its record change together) into one read.
  flushing = setTimeout(flush, 50);
}

async function flush(): Promise<void> {
  flushing = null;
  const batch = [...pending];
  pending.clear();
  let failed = false;
  await Promise.all(
    batch.map(async (id) => {
      try {
        putTask(await get<Task>(`/api/tasks/${encodeURIComponent(id)}`));
      } catch (err) {
        failed = true;
        tasksError.value = `reading task ${id}: ${describe(err)}`;
      }
    }),
  );
  if (!failed) tasksError.value = null;
}

/** Puts a task the page just read, made or changed, without waiting for its event. */
export function putTask(task: Task): void {
  const next = new Map(tasks.value);
  if (task.archived) next.delete(task.id);
  else next.set(task.id, entryOf(task));
  tasks.value = next;
}

let stream: EventStream | null = null;

/** Loads the tasks and follows the stream; answers the cursor it started from (or null). */
export async function startTasks(): Promise<number | null> {
  try {
    // The cursor first: events after it are streamed, so nothing between the snapshot
    // and the stream is missed (one seen twice only reads its task again).
    const health = await get<{ last_seq: number }>("/api/health");
    const list = await get<Task[]>("/api/tasks");
    const map = new Map<string, TaskEntry>();
    for (const task of list) map.set(task.id, entryOf(task));
    tasks.value = map;
    tasksError.value = null;
    stream?.close();
    stream = new EventStream({
      filter: {},
      after: health.last_seq,
      onState: (s) => {
        streamState.value = s;
        // An EventSource does not say why it failed: ask, so a lost session shows as
        // such (the banner) rather than as endless reconnecting.
        if (s === "reconnecting") get("/api/health").catch(() => {});
      },
      onEvent: (event) => {
        if (event.task && changesTask(event.kind)) refresh(event.task);
        for (const l of listeners) l(event);
      },
    });
    return health.last_seq;
  } catch (err) {
    tasksError.value = `loading the tasks: ${describe(err)}`;
    return null;
  }
}
