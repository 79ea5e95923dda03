import { describe, expect, it } from "vitest";
import { changesTask, groupTasks, nextEntry, shownOrder, sortTasks } from "./tasks";
import type { Task } from "./types";

const task = (id: string, status: string, created = "2026-01-01T00:00:00Z", project = "p"): Task =>
  ({ id, status, project, created_at: created, updated_at: "2026-01-01T00:00:10Z" }) as Task;

describe("nextEntry", () => {
  it("starts the time in status at the record's last change", () => {
    expect(nextEntry(undefined, task("a", "working"), 99).since).toBe(Date.parse("2026-01-01T00:00:10Z"));
  });
  it("keeps the time while the status stays and resets it when it moves", () => {
    const first = nextEntry(undefined, task("a", "working"), 0);
    expect(nextEntry(first, task("a", "working"), 5000).since).toBe(first.since);
    expect(nextEntry(first, task("a", "waiting-for-user"), 5000).since).toBe(5000);
  });
});

describe("sortTasks", () => {
  it("puts the tasks that need the user first, then the running ones, newest first", () => {
    const list = [
      nextEntry(undefined, task("done", "finished", "2026-01-03T00:00:00Z"), 0),
      nextEntry(undefined, task("old-run", "working", "2026-01-01T00:00:00Z"), 0),
      nextEntry(undefined, task("new-run", "working", "2026-01-02T00:00:00Z"), 0),
      nextEntry(undefined, task("wait", "waiting-for-user", "2026-01-01T00:00:00Z"), 0),
    ];
    expect(sortTasks(list).map((e) => e.task.id)).toEqual(["wait", "new-run", "old-run", "done"]);
  });
});

describe("changesTask", () => {
  it("is true for status and lifecycle events, not for transcript or model text", () => {
    expect(changesTask("task.status")).toBe(true);
    expect(changesTask("task.finished")).toBe(true);
    expect(changesTask("task.transcript")).toBe(false);
    expect(changesTask("task.llm.text")).toBe(false);
    expect(changesTask("notification")).toBe(false);
  });
});

describe("groupTasks", () => {
  it("puts the waiting tasks of every project first, then each project's by name", () => {
    const list = [
      nextEntry(undefined, task("b-run", "working", "2026-01-02T00:00:00Z", "beta"), 0),
      nextEntry(undefined, task("a-done", "finished", "2026-01-03T00:00:00Z", "alpha"), 0),
      nextEntry(undefined, task("b-wait", "waiting-for-user", "2026-01-01T00:00:00Z", "beta"), 0),
      nextEntry(undefined, task("a-run", "working", "2026-01-01T00:00:00Z", "alpha"), 0),
    ];
    const groups = groupTasks(list);
    expect(groups.map((g) => [g.project, g.tasks.map((e) => e.task.id)])).toEqual([
      [null, ["b-wait"]],
      ["alpha", ["a-run", "a-done"]],
      ["beta", ["b-run"]],
    ]);
    expect(shownOrder(list)).toEqual(["b-wait", "a-run", "a-done", "b-run"]);
  });
});
