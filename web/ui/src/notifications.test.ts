import { describe, expect, it } from "vitest";
import { addNote, toNote, wantsBrowserNotification } from "./notifications";

const note = (seq: number) =>
  toNote({ seq, kind: "notification", task: "t", at: "2026-01-01T00:00:00Z", data: { title: `n${seq}`, urgency: "needs-attention" } });

describe("notes", () => {
  it("reads an event into a note", () => {
    expect(note(3)).toMatchObject({ seq: 3, task: "t", title: "n3", body: "", urgent: true });
  });
  it("keeps each once, in order, and only the newest", () => {
    let list = addNote([], note(2));
    list = addNote(list, note(1));
    list = addNote(list, note(2));
    expect(list.map((n) => n.seq)).toEqual([1, 2]);
    list = addNote(list, note(3), 2);
    expect(list.map((n) => n.seq)).toEqual([2, 3]);
  });
  it("goes to the browser only when the tab is hidden and the user allowed it", () => {
    expect(wantsBrowserNotification(true, "granted")).toBe(true);
    expect(wantsBrowserNotification(false, "granted")).toBe(false);
    expect(wantsBrowserNotification(true, "default")).toBe(false);
    expect(wantsBrowserNotification(true, "denied")).toBe(false);
  });
});
