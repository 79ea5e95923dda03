// A question an agent waits on, in the browser: shown with its answers as buttons on the
// task's page and in the list, answered by a click; answered elsewhere meanwhile (a
// message, as from the terminal), its buttons go away. Against the real server and the
// scripted agent's `ask` step in local mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  makeRepo,
  launchBrowser,
  signedInPage,
  screenshot,
  cleanup,
  scriptedTask,
  waitForTask,
  api,
} from "./support.mjs";

test("a question shows with its choices as buttons, a click answers it, and an answer given elsewhere removes them", async () => {
  const c = cleanup();
  try {
    const server = await startServer();
    c.add(() => server.stop());
    const repo = makeRepo();
    c.add(() => repo.remove());
    const browser = await launchBrowser();
    c.add(() => browser.close());

    const task = await scriptedTask(server, repo, [
      "ask Allow Bash? | Yes | Yes, and don't ask again | No",
      "ask Delete the build directory? | Yes | No",
      "ask Push to origin? | Yes | No",
      "finish",
    ]);
    await waitForTask(server, task.id, ["waiting-for-user"]);
    const page = await signedInPage(browser, server);

    // In the list: the question and its plain yes and no, beside the row.
    const item = page.locator(`li:has(.task-row[data-task="${task.id}"])`);
    await item.locator(".question").getByText("Allow Bash?").waitFor();
    assert.deepEqual(
      await item.locator(".question button.choice").allInnerTexts(),
      ["Yes", "No"],
      "the list offers approve and deny",
    );
    await screenshot(page, "question-list");

    // On the task's page: every choice.
    await page.locator(`.task-row[data-task="${task.id}"]`).click();
    const card = page.locator(".task-head .question");
    await card.getByText("Allow Bash?").waitFor();
    assert.deepEqual(await card.locator("button.choice").allInnerTexts(), [
      "Yes",
      "Yes, and don't ask again",
      "No",
    ]);
    await screenshot(page, "question-page");
    await card.getByRole("button", { name: "Yes, and don't ask again" }).click();
    await page.getByTestId("transcript").getByText("answered: Yes, and don't ask again", { exact: true }).waitFor();

    // The next question comes; No answers it.
    await card.getByText("Delete the build directory?").waitFor();
    await card.getByRole("button", { name: "No" }).click();
    await page.getByTestId("transcript").getByText("answered: No", { exact: true }).waitFor();

    // Answered elsewhere (a message, as an answer typed in the terminal would be): the
    // buttons go without a click or a reload.
    await card.getByText("Push to origin?").waitFor();
    await api(server, "POST", `/api/tasks/${task.id}/messages`, { text: "yes" });
    await page.getByTestId("transcript").getByText("answered: yes", { exact: true }).waitFor();
    await page.locator(".task-head .question").waitFor({ state: "detached" });
    await item.locator(".question").waitFor({ state: "detached" });
    await waitForTask(server, task.id, ["finished"]);
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});
