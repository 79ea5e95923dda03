import { describe, expect, it } from "vitest";
import { approveDeny, questionBody } from "./question";
import type { Question } from "./types";

const bash: Question = {
  text: "Allow Bash?",
  detail: "rm -rf build",
  choices: [
    { id: "yes", label: "Yes", kind: "allow" },
    { id: "always", label: "Yes, and don't ask again", kind: "allow-always" },
    { id: "no", label: "No", kind: "deny" },
  ],
};

describe("question", () => {
  it("picks the plain yes and the no for where only two answers fit", () => {
    const { approve, deny } = approveDeny(bash);
    expect(approve?.id).toBe("yes");
    expect(deny?.id).toBe("no");
    const onlyAlways = { ...bash, choices: [bash.choices[1]] };
    expect(approveDeny(onlyAlways).approve?.id).toBe("always");
    expect(approveDeny(onlyAlways).deny).toBeUndefined();
  });

  it("puts what the question is about under it in a notification", () => {
    expect(questionBody(bash)).toBe("Allow Bash?\nrm -rf build");
    expect(questionBody({ ...bash, detail: null })).toBe("Allow Bash?");
  });
});

describe("a browser notification of a question", () => {
  it("says the question and offers Approve and Deny, answered by choice id", async () => {
    const { browserNotification } = await import("./notifications");
    const note = { seq: 3, task: "t-1", title: "Claude Code needs you", body: "a dialog", urgent: true, at: 0 };
    const shown = browserNotification(note, bash);
    expect(shown.body).toBe("Allow Bash?\nrm -rf build");
    expect(shown.actions.map((a) => a.title)).toEqual(["Approve", "Deny"]);
    expect(shown.choices).toEqual({ approve: "yes", deny: "no" });
    const plain = browserNotification(note, null);
    expect(plain).toEqual({ title: note.title, body: "a dialog", actions: [], choices: {} });
  });
});
