import { describe, expect, it, vi } from "vitest";
import { followActors, uptimeAt } from "./actors";
import { recordingOpen } from "./fake-source";
import type { ActorInfo } from "./types";

const actor = (id: number, uptime_ms: number) => ({ id, name: `root/${id}`, uptime_ms }) as ActorInfo;

describe("followActors", () => {
  it("hands on each tree with when it came, skips what is not a tree, and reconnects", () => {
    vi.useFakeTimers();
    const { sources, open } = recordingOpen();
    const trees: [number[], number][] = [];
    const states: string[] = [];
    let clock = 1000;
    const stream = followActors({
      onTree: (tree, at) => trees.push([tree.map((a) => a.id), at]),
      onState: (s) => states.push(s),
      open,
      now: () => clock,
    });
    expect(sources[0].url).toBe("/api/actors");
    sources[0].onopen?.({});
    sources[0].emit([actor(1, 5)]);
    clock = 2000;
    sources[0].emit("not json");
    sources[0].emit({ not: "a tree" });
    sources[0].emit([actor(1, 6), actor(2, 0)]);
    sources[0].onerror?.({});
    vi.advanceTimersByTime(300);
    expect(sources[1].url).toBe("/api/actors");
    expect(trees).toEqual([
      [[1], 1000],
      [[1, 2], 2000],
    ]);
    expect(states).toEqual(["connecting", "live", "reconnecting", "reconnecting"]);
    stream.close();
    expect(sources[1].closed).toBe(true);
    vi.useRealTimers();
  });
});

describe("uptimeAt", () => {
  it("counts on from the server's figure by the time since the tree came", () => {
    expect(uptimeAt(actor(1, 5000), 1000, 3500)).toBe(7500);
    expect(uptimeAt(actor(1, 5000), 1000, 900)).toBe(5000);
  });
});
