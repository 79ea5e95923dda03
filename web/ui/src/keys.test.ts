import { describe, expect, it } from "vitest";
import { keyAction, step } from "./keys";

const k = (key: string, more: Partial<{ typing: boolean; ctrlKey: boolean }> = {}) =>
  keyAction({ key, ctrlKey: false, metaKey: false, altKey: false, typing: false, ...more });

describe("keyAction", () => {
  it("maps the keys", () => {
    expect(k("n")).toBe("new");
    expect(k("j")).toBe("next");
    expect(k("ArrowUp")).toBe("prev");
    expect(k("3")).toBe("terminal");
    expect(k("x")).toBe(null);
  });
  it("leaves keys alone while typing or with a modifier, except Escape", () => {
    expect(k("n", { typing: true })).toBe(null);
    expect(k("n", { ctrlKey: true })).toBe(null);
    expect(k("Escape", { typing: true })).toBe("escape");
  });
});

describe("step", () => {
  it("moves within the list and stops at its ends", () => {
    expect(step(["a", "b", "c"], null, 1)).toBe("a");
    expect(step(["a", "b", "c"], null, -1)).toBe("c");
    expect(step(["a", "b", "c"], "b", 1)).toBe("c");
    expect(step(["a", "b", "c"], "c", 1)).toBe("c");
    expect(step(["a", "b", "c"], "a", -1)).toBe("a");
    expect(step([], "a", 1)).toBe(null);
  });
});
