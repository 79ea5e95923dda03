import { describe, expect, it } from "vitest";
import { Transcript } from "./transcript";

let seq = 0;
const ev = (kind: string, data: any) => ({ seq: ++seq, kind, task: "t", at: "", data });

describe("Transcript", () => {
  it("grows one entry as the model's text streams in", () => {
    const t = new Transcript();
    t.apply(ev("task.llm.text", { id: "c1", index: 0, text: "Hel" }));
    t.apply(ev("task.llm.text", { id: "c1", index: 0, text: "lo" }));
    t.apply(ev("task.llm.text", { id: "c1", index: 1, text: "Second" }));
    expect(t.entries.map((e) => (e.type === "message" ? e.text : ""))).toEqual(["Hello", "Second"]);
    expect(t.entries.every((e) => e.type === "message" && e.streaming)).toBe(true);
    t.apply(ev("task.llm.finished", { id: "c1" }));
    expect(t.entries.some((e) => e.type === "message" && e.streaming)).toBe(false);
  });

  it("shows a reply the adapter records after streaming it once", () => {
    const t = new Transcript();
    t.apply(ev("task.transcript", { role: "user", text: "do it" }));
    t.apply(ev("task.llm.text", { id: "c1", index: 0, text: "Done." }));
    t.apply(ev("task.transcript", { role: "agent", text: "Done.\n" }));
    expect(t.entries).toHaveLength(2);
    expect(t.entries[1]).toMatchObject({ type: "message", role: "agent", text: "Done.\n", streaming: false });
  });

  it("folds a tool call seen from the model and from the adapter into one entry", () => {
    const t = new Transcript();
    t.apply(ev("task.llm.tool", { id: "c1", tool_id: "tu1", name: "Bash", input: { command: "ls -la\nmore" } }));
    expect(t.entries[0]).toMatchObject({ type: "tool", name: "Bash", summary: "ls -la", result: null });
    t.apply(ev("task.transcript", { role: "tool", tool: "Bash", text: "Bash: ls -la", data: { command: "ls -la", result: "a\nb" } }));
    expect(t.entries).toHaveLength(1);
    expect(t.entries[0]).toMatchObject({ summary: "Bash: ls -la", result: "a\nb" });
    // A tool the model did not announce stands alone.
    t.apply(ev("task.transcript", { role: "tool", tool: "Read", text: "Read a.txt", data: { file_path: "a.txt" } }));
    expect(t.entries).toHaveLength(2);
  });

  it("records status changes once each and failures as errors", () => {
    const t = new Transcript();
    expect(t.apply(ev("task.status", { status: "working", detail: "x" }))).toBe(true);
    expect(t.apply(ev("task.status", { status: "working", detail: "y" }))).toBe(false);
    t.apply(ev("task.llm.finished", { id: "c9", error: "529 overloaded" }));
    t.apply(ev("notification", { title: "Needs you", body: "b", urgency: "needs-attention" }));
    expect(t.entries.map((e) => e.type)).toEqual(["status", "error", "notification"]);
    expect(t.entries[2]).toMatchObject({ urgent: true });
  });

  it("ignores kinds it does not show", () => {
    const t = new Transcript();
    expect(t.apply(ev("task.log", { message: "x" }))).toBe(false);
    expect(t.entries).toHaveLength(0);
  });
  it("folds a finished tool's result under its call, by the call's id", () => {
    const t = new Transcript();
    t.apply(ev("task.llm.tool", { id: "c1", tool_id: "tu1", name: "Bash", input: { command: "echo 42" } }));
    t.apply(ev("task.llm.tool", { id: "c1", tool_id: "tu2", name: "Bash", input: { command: "echo 43" } }));
    t.apply(ev("task.transcript", { role: "tool", tool: "Bash", text: "Bash: echo 42", data: { command: "echo 42" } }));
    t.apply(ev("task.transcript", { role: "tool", tool: "Bash", text: "Bash → 43", data: { tool_use_id: "tu2", result: "43" } }));
    t.apply(ev("task.transcript", { role: "tool", tool: "Bash", text: "Bash → 42", data: { tool_use_id: "tu1", result: "42" } }));
    expect(t.entries).toHaveLength(2);
    expect(t.entries[0]).toMatchObject({ type: "tool", summary: "Bash: echo 42", result: "42" });
    expect(t.entries[1]).toMatchObject({ type: "tool", result: "43" });
    // Without a model call to match (no proxy events), the latest call of that tool.
    t.apply(ev("task.transcript", { role: "tool", tool: "Read", text: "Read: a.txt", data: { file_path: "a.txt" } }));
    t.apply(ev("task.transcript", { role: "tool", tool: "Read", text: "Read → x", data: { tool_use_id: "tu9", result: "x" } }));
    expect(t.entries).toHaveLength(3);
    expect(t.entries[2]).toMatchObject({ name: "Read", result: "x" });
  });
});
