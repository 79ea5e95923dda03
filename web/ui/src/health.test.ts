import { describe, expect, it } from "vitest";
import { problemOf } from "./health";

describe("problemOf", () => {
  it("is nothing while the server is ok", () => {
    expect(problemOf({ status: "ok", store: { writable: true, last_error: "an old one" } })).toBeNull();
  });
  it("says the store takes no writes, why, and what to check", () => {
    const text = problemOf({ status: "store-failing", store: { writable: false, last_error: "database or disk is full" } });
    expect(text).toContain("cannot write to its store (database or disk is full)");
    expect(text).toContain("plinth.db");
  });
  it("names a status it does not know", () => {
    expect(problemOf({ status: "degraded" })).toBe("plinth reports a problem: degraded");
  });
});
