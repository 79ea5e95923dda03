import { describe, expect, it } from "vitest";
import { changesTask, groupTasks, entryOf, shownOrder, sortTasks } from "./tasks";
import type { Task } from "./types";

const task = (id: string, status: string, created = "2026-01-01T00:00:00Z", project = "p"): Task =>
  ({ id, status, project, created_at: created, updated_at: "2026-01-01T00:00:10Z", status_since: "2026-01-01T00:00:07Z" }) as Task;

describe("entryOf", () => {
  it("counts the time in status from when the server saw the status change, not the last update", () => {
    expect(entryOf(task("a", "working")).since).toBe(Date.parse("2026-01-01T00:00:07Z"));
  });
});

describe("sortTasks", () => {
  it("puts the tasks that need the user first, then the running ones, newest first", () => {
    const list = [
      entryOf(task("done", "finished", "2026-01-03T00:00:00Z")),
      entryOf(task("old-run", "working", "2026-01-01T00:00:00Z")),
      entryOf(task("new-run", "working", "2026-01-02T00:00:00Z")),
      entryOf(task("wait", "waiting-for-user", "2026-01-01T00:00:00Z")),
    ];
    expect(sortTasks(list).map((e) => e.task.id)).toEqual(["wait", "new-run", "old-run", "done"]);
  });
});

describe("changesTask", () => {
  it("is true for status and lifecycle events, not for transcript or model text", () => {
    expect(changesTask("task.status")).toBe(true);
    expect(changesTask("task.finished")).toBe(true);
    expect(changesTask("task.transcript")).toBe(false);
    expect(changesTask("task.spend")).toBe(true);
    expect(changesTask("task.budget")).toBe(true);
    expect(changesTask("task.llm.text")).toBe(false);
    expect(changesTask("notification")).toBe(false);
  });
});

describe("groupTasks", () => {
  it("puts the waiting tasks of every project first, then each project's by name", () => {
    const list = [
      entryOf(task("b-run", "working", "2026-01-02T00:00:00Z", "beta")),
      entryOf(task("a-done", "finished", "2026-01-03T00:00:00Z", "alpha")),
      entryOf(task("b-wait", "waiting-for-user", "2026-01-01T00:00:00Z", "beta")),
      entryOf(task("a-run", "working", "2026-01-01T00:00:00Z", "alpha")),
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
