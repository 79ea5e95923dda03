import { describe, expect, it } from "vitest";
import { takeToken } from "./signin";

describe("takeToken", () => {
  it("takes the token from the query and keeps the rest", () => {
    expect(takeToken("http://127.0.0.1:9/tasks/a?token=abc&tab=2#x")).toEqual({
      token: "abc",
      clean: "/tasks/a?tab=2#x",
    });
  });
  it("takes the token from the fragment", () => {
    expect(takeToken("http://127.0.0.1:9/#token=abc")).toEqual({ token: "abc", clean: "/" });
  });
  it("leaves a URL without a token as it is", () => {
    expect(takeToken("http://127.0.0.1:9/inspector?x=1")).toEqual({
      token: null,
      clean: "/inspector?x=1",
    });
  });
});
