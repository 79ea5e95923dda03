import { describe, expect, it } from "vitest";
import { formatDuration } from "./time";

describe("formatDuration", () => {
  it("is short at every scale", () => {
    expect(formatDuration(-5)).toBe("0s");
    expect(formatDuration(59_999)).toBe("59s");
    expect(formatDuration(61_000)).toBe("1m 01s");
    expect(formatDuration(3_600_000 + 5 * 60_000)).toBe("1h 05m");
    expect(formatDuration(26 * 3_600_000)).toBe("1d 2h");
  });
});
