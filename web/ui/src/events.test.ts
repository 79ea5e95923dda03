import { describe, expect, it, vi } from "vitest";
import { Cursor, EventStream, backoff, streamUrl } from "./events";
import { recordingOpen } from "./fake-source";

const event = (seq: number) => ({ seq, kind: "k", task: null, at: "", data: {} });

describe("Cursor", () => {
  it("accepts each sequence number once, in increasing order", () => {
    const c = new Cursor(5);
    expect(c.accept({ seq: 5 })).toBe(false);
    expect(c.accept({ seq: 6 })).toBe(true);
    expect(c.accept({ seq: 6 })).toBe(false);
    expect(c.accept({ seq: 4 })).toBe(false);
    expect(c.last).toBe(6);
  });
});

describe("streamUrl", () => {
  it("carries the cursor and the filter", () => {
    expect(streamUrl({ task: "t-1" }, 42)).toBe("/api/events?after=42&task=t-1");
    expect(streamUrl({ kind: "notification" }, 0)).toBe("/api/events?after=0&kind=notification");
  });
});

describe("backoff", () => {
  it("grows and is capped at 5 s", () => {
    expect(backoff(0)).toBe(250);
    expect(backoff(1)).toBe(500);
    expect(backoff(10)).toBe(5000);
  });
});

describe("EventStream", () => {
  it("reconnects from the last applied event and drops repeats", () => {
    vi.useFakeTimers();
    const { sources, open } = recordingOpen();
    const seen: number[] = [];
    const states: string[] = [];
    const stream = new EventStream({
      filter: { task: "t" },
      after: 10,
      onEvent: (e) => seen.push(e.seq),
      onState: (s) => states.push(s),
      open,
    });
    expect(sources[0].url).toBe("/api/events?after=10&task=t");
    sources[0].onopen?.({});
    sources[0].emit(event(11));
    sources[0].emit(event(12));
    sources[0].onerror?.({});
    expect(sources[0].closed).toBe(true);
    vi.advanceTimersByTime(300);
    expect(sources[1].url).toBe("/api/events?after=12&task=t");
    // A server that replays what we had must not show it twice.
    sources[1].emit(event(12));
    sources[1].emit(event(13));
    expect(seen).toEqual([11, 12, 13]);
    expect(states).toEqual(["connecting", "live", "reconnecting", "reconnecting"]);
    stream.close();
    expect(sources[1].closed).toBe(true);
    vi.useRealTimers();
  });

  it("ignores a message that is not JSON", () => {
    const { sources, open } = recordingOpen();
    const seen: number[] = [];
    new EventStream({ filter: {}, after: 0, onEvent: (e) => seen.push(e.seq), open });
    sources[0].emit("not json");
    sources[0].emit(event(1));
    expect(seen).toEqual([1]);
  });
});
