import { afterEach, describe, expect, it, vi } from "vitest";
import { coalesce } from "./coalesce";

describe("coalesce", () => {
  afterEach(() => vi.useRealTimers());

  it("runs once after a burst goes quiet", () => {
    vi.useFakeTimers();
    let runs = 0;
    const c = coalesce(() => runs++, 500, 3000);
    c.request();
    vi.advanceTimersByTime(200);
    c.request();
    vi.advanceTimersByTime(400);
    expect(runs).toBe(0);
    vi.advanceTimersByTime(100);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(1);
  });

  it("does not wait past its longest wait while asks keep coming", () => {
    vi.useFakeTimers();
    let runs = 0;
    const c = coalesce(() => runs++, 500, 2000);
    for (let t = 0; t < 2100; t += 300) {
      c.request();
      vi.advanceTimersByTime(300);
    }
    expect(runs).toBe(1);
  });

  it("runs nothing once cancelled", () => {
    vi.useFakeTimers();
    let runs = 0;
    const c = coalesce(() => runs++, 500, 2000);
    c.request();
    c.cancel();
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(0);
  });
});
