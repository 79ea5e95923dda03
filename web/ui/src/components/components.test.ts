import { describe, expect, it } from "vitest";
import { lineClass, mayChangeFiles } from "./DiffView";
import { agentProblem } from "./NewTask";
import { treeOrder } from "./Inspector";
import { title } from "./TaskList";
import type { ActorInfo, Task } from "../types";

describe("lineClass", () => {
  it("colours a unified diff by line", () => {
    expect(lineClass("+++ b/a.txt")).toBe("d-file");
    expect(lineClass("@@ -1 +1 @@")).toBe("d-hunk");
    expect(lineClass("+added")).toBe("d-add");
    expect(lineClass("-removed")).toBe("d-del");
    expect(lineClass(" context")).toBe("");
  });
});

describe("mayChangeFiles", () => {
  it("is true after what the agent did, not for streamed text or notifications", () => {
    expect(mayChangeFiles("task.transcript")).toBe(true);
    expect(mayChangeFiles("task.llm.finished")).toBe(true);
    expect(mayChangeFiles("task.synced")).toBe(true);
    expect(mayChangeFiles("task.llm.text")).toBe(false);
    expect(mayChangeFiles("notification")).toBe(false);
  });
});

describe("treeOrder", () => {
  const actor = (id: number, parent: number | null) => ({ id, parent, name: `a${id}` }) as ActorInfo;
  it("lists the tree depth first, children by id, orphans at the top level", () => {
    const rows = treeOrder([actor(4, 2), actor(2, null), actor(3, 2), actor(1, null), actor(5, 3), actor(9, 77)]);
    expect(rows.map((r) => [r.actor.id, r.depth])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [5, 2],
      [4, 1],
      [9, 0],
    ]);
  });
});

describe("title", () => {
  it("is the prompt's first line that is not a shebang or a comment", () => {
    expect(title({ id: "x", prompt: "#!scripted\n# why\nsay hi\nfinish" } as Task)).toBe("say hi");
    expect(title({ id: "x", prompt: "Fix the bug\nin main" } as Task)).toBe("Fix the bug");
    expect(title({ id: "x", prompt: "  " } as Task)).toBe("x");
  });
});

describe("agentProblem", () => {
  const agents = [
    { name: "claude-code", description: "", builtin: true, loads: true },
    { name: "half", description: "", builtin: false, loads: false },
  ];
  it("is nothing for an agent that loads, or before one is named", () => {
    expect(agentProblem("claude-code", agents)).toBeNull();
    expect(agentProblem(" ", agents)).toBeNull();
  });
  it("names the agents there are when the name is unknown, and says why one cannot load", () => {
    expect(agentProblem("cluade-code", agents)).toContain("claude-code, half");
    expect(agentProblem("half", agents)).toContain("not granted");
  });
});
