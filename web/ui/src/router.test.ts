import { describe, expect, it } from "vitest";
import { parseRoute, routePath } from "./router";

describe("routes", () => {
  it("parses the page's paths and writes them back", () => {
    for (const path of ["/", "/new", "/inspector", "/notifications", "/tasks/a-1", "/tasks/a-1/diff", "/tasks/a-1/terminal"]) {
      expect(routePath(parseRoute(path))).toBe(path);
    }
    expect(parseRoute("/tasks/x/bogus")).toEqual({ page: "task", id: "x", tab: "transcript" });
    expect(parseRoute("/nowhere")).toEqual({ page: "home" });
  });
});
