// Tasks in the browser, against the real server and the scripted agent in local mode.
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

async function setup(c, options) {
  const server = await startServer();
  c.add(() => server.stop());
  const repo = makeRepo();
  c.add(() => repo.remove());
  const browser = await launchBrowser(options);
  c.add(() => browser.close());
  return { server, repo, browser };
}

test("a task made in the form runs to its end live: status, transcript, diff and a notification", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const page = await signedInPage(browser, server);
    await screenshot(page, "home-empty");
    await page.keyboard.press("n");
    await page.locator("#prompt").waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), "prompt", "n focuses the prompt");
    await page.locator("#prompt").fill(
      ["#!scripted", "say starting the work", "sleep 1500", "write notes.txt first line\\nsecond line", "say wrote notes.txt", "sleep 1500", "finish"].join("\n"),
    );
    // An error shows where it happened: under the form, in the server's words.
    await page.locator("#repo").fill("/no/such/repository");
    await page.locator("#prompt").press("Control+Enter");
    const formError = page.locator(".new-task .error");
    await formError.waitFor();
    assert.match(await formError.innerText(), /no\/such\/repository/);
    await screenshot(page, "new-task-error");
    await page.locator("#repo").fill(repo.dir);
    // The agents the server has are offered; a name it has not is pointed out at once.
    await page.locator("#agents option", { hasText: "Follows a script" }).waitFor({ state: "attached" });
    assert.deepEqual(await page.locator("#agents option").evaluateAll((os) => os.map((o) => o.value)), ["claude-code", "codex", "gemini", "scripted"]);
    await page.locator("#agent").fill("scriptd");
    assert.match(await page.getByTestId("agent-problem").innerText(), /No agent is called scriptd: claude-code, codex, gemini, scripted/);
    await page.locator("#agent").fill("scripted");
    await page.getByTestId("agent-problem").waitFor({ state: "detached" });
    await page.locator('input[name="sandbox"][value="local"]').check();
    assert.ok(await page.locator(".sandbox .unsafe").getByText("unsafe").isVisible(), "local is marked unsafe");
    await screenshot(page, "new-task");
    await page.locator("#prompt").press("Control+Enter");

    await page.waitForURL(/\/tasks\/[^/]+$/);
    const id = decodeURIComponent(page.url().split("/tasks/")[1]);
    const row = page.locator(`.task-row[data-task="${id}"]`);
    await row.waitFor();
    // It is seen working before it is seen finished: the list is live, not reloaded.
    await page.locator(`.task-row[data-task="${id}"][data-status="working"]`).waitFor({ timeout: 20_000 });
    const transcript = page.getByTestId("transcript");
    await transcript.getByText("starting the work").waitFor();
    await screenshot(page, "task-working");
    await page.locator(`.task-row[data-task="${id}"][data-status="finished"]`).waitFor({ timeout: 30_000 });
    await transcript.getByText("wrote notes.txt").waitFor();
    assert.match(await row.locator(".since").innerText(), /^\d+s$/, "the time in its status shows");

    // The service raises a notification when a task finishes: a toast in the page.
    await page.getByTestId("toast").filter({ hasText: /finished/i }).first().waitFor({ timeout: 10_000 });
    await screenshot(page, "task-finished");

    await page.getByRole("button", { name: "Sync branch" }).click();
    await page.locator(".task-head .notice").waitFor();

    await page.keyboard.press("2");
    await page.getByTestId("diff-summary").waitFor();
    assert.match(await page.getByTestId("diff-summary").innerText(), /1 file/);
    await page.locator(".diff .d-add", { hasText: "+second line" }).waitFor();
    await screenshot(page, "task-diff");

    await page.keyboard.press("b");
    await page.locator(".note-row", { hasText: id }).first().waitFor();
    await screenshot(page, "notifications");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("a task waiting for the user stands out, and a message sent with Enter answers it", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const busy = await scriptedTask(server, repo, ["say working", "sleep 60000"]);
    const task = await scriptedTask(server, repo, ["say which colour?", "wait-message", "say thanks, got it", "wait-message", "finish"]);
    await waitForTask(server, task.id, ["waiting-for-user"]);
    const page = await signedInPage(browser, server);
    const row = page.locator(`.task-row[data-task="${task.id}"]`);
    await row.and(page.locator(".needs-user")).waitFor();
    const first = await page.locator(".task-row").first().getAttribute("data-task");
    assert.equal(first, task.id, "the waiting task comes first");
    assert.match(await page.title(), /^\(1\) plinth/);
    await screenshot(page, "list-waiting");

    await page.keyboard.press("w");
    await page.waitForURL(new RegExp(`/tasks/${task.id}$`));
    await page.getByTestId("transcript").getByText("which colour?").waitFor();
    await page.keyboard.press("r");
    await page.keyboard.type("blue, please");
    await page.keyboard.press("Enter");
    await page.getByTestId("transcript").getByText("blue, please").waitFor();
    await page.getByTestId("transcript").getByText("thanks, got it").waitFor();
    assert.equal(await page.locator("#message").inputValue(), "", "the box is empty after sending");
    await screenshot(page, "task-message");

    // j/k move between tasks.
    await page.keyboard.press("Escape");
    await page.keyboard.press("j");
    await page.waitForURL(new RegExp(`/tasks/${busy.id}$`));
    await page.keyboard.press("k");
    await page.waitForURL(new RegExp(`/tasks/${task.id}$`));
    await page.keyboard.press("?");
    await page.getByRole("dialog", { name: "Keyboard shortcuts" }).waitFor();
    await screenshot(page, "keys");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("the diff follows the agent's edits while it works, without a refresh", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const task = await scriptedTask(server, repo, [
      "say ready",
      "sleep 2500",
      "write notes.txt first line\\n",
      "say wrote notes.txt",
      "sleep 60000",
    ]);
    const page = await signedInPage(browser, server, `/tasks/${task.id}`);
    await page.getByTestId("transcript").getByText("ready").waitFor();
    await page.keyboard.press("2");
    await page.getByText("No changes yet.").waitFor();
    await page.getByTestId("diff-summary").getByText("1 file").waitFor({ timeout: 15_000 });
    await page.locator(".diff .d-add", { hasText: "+first line" }).waitFor();
    const now = await api(server, "GET", `/api/tasks/${task.id}`);
    assert.equal(now.status, "working", "the diff came while the task still worked, not at a status change");
    await screenshot(page, "task-diff-live");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("the terminal shows the task's session and what is typed reaches it", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const task = await scriptedTask(server, repo, ["term sh", "say the terminal is up", "expect 42-TYPED", "say the shell ran it", "wait-message", "finish"]);
    // Its session exists once the step after `term` has run.
    const deadline = Date.now() + 20_000;
    while (!(await api(server, "GET", `/api/events?task=${task.id}&kind=task.transcript`)).some((e) => e.data.text === "the terminal is up")) {
      assert.ok(Date.now() < deadline, "the scripted task never started its terminal");
      await new Promise((r) => setTimeout(r, 100));
    }
    const page = await signedInPage(browser, server, `/tasks/${task.id}/terminal`);
    await page.locator('[data-testid="terminal-state"]', { hasText: "connected" }).waitFor({ timeout: 15_000 });
    await page.locator(".xterm").click();
    // The shell's answer, not our echo: only a shell that ran the line prints 42.
    await page.keyboard.type("echo $((6*7))-TYPED");
    await page.keyboard.press("Enter");
    await page.locator(".xterm-rows", { hasText: "42-TYPED" }).waitFor();
    await screenshot(page, "task-terminal");
    await waitForTask(server, task.id, ["waiting-for-user"]);
    const events = await api(server, "GET", `/api/events?task=${task.id}&kind=task.transcript`);
    assert.ok(events.some((e) => e.data.text === "the shell ran it"), "the agent saw it on its screen");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("a notification reaches the browser when the tab is hidden and the user allowed it", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    // The real Notification API (headless Chromium shows them and fires `show`), watched:
    // each one the page makes is kept with whether the browser showed it. Headless tabs
    // are never hidden, so the test says when this one is.
    await browser.context.addInitScript(() => {
      const shown = [];
      window.__shown = shown;
      window.__hidden = false;
      Object.defineProperty(document, "hidden", { get: () => window.__hidden });
      window.Notification = new Proxy(window.Notification, {
        construct(Real, args) {
          const n = new Real(...args);
          const entry = { title: args[0], body: args[1]?.body, shown: false };
          n.addEventListener("show", () => (entry.shown = true));
          shown.push(entry);
          return n;
        },
      });
    });
    const page = await signedInPage(browser, server);
    // The user allows them on the notifications page (the browser's prompt answered yes).
    await page.keyboard.press("b");
    await browser.context.grantPermissions(["notifications"], { origin: server.url });
    await page.getByRole("button", { name: "Allow browser notifications" }).click();
    await page.getByText("Browser notifications are on").waitFor();
    await page.keyboard.press("Escape");
    const visible = await scriptedTask(server, repo, ["say hi", "finish"]);
    await page.getByTestId("toast").filter({ hasText: visible.id }).first().waitFor({ timeout: 20_000 });
    assert.deepEqual(await page.evaluate(() => window.__shown), [], "no browser notification while the tab is seen");

    await page.evaluate(() => (window.__hidden = true));
    const hidden = await scriptedTask(server, repo, ["say hi", "fail on purpose"]);
    await page.waitForFunction(
      (id) => window.__shown.some((n) => n.shown && `${n.title} ${n.body}`.includes(id)),
      hidden.id,
      { timeout: 20_000 },
    );
    await screenshot(page, "notification-toast");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("a reload while the transcript streams loses nothing and shows nothing twice", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const lines = [];
    for (let i = 1; i <= 30; i++) lines.push(`say line ${i}`, "sleep 100");
    const task = await scriptedTask(server, repo, [...lines, "finish"]);
    const page = await signedInPage(browser, server, `/tasks/${task.id}`);
    const transcript = page.getByTestId("transcript");
    await transcript.getByText("line 5", { exact: true }).waitFor({ timeout: 20_000 });
    await page.reload();
    await page.locator('[data-testid="connection"].live').waitFor();
    await transcript.getByText("line 12", { exact: true }).waitFor({ timeout: 20_000 });
    // And a dropped connection, not just a reload: the server's stream ends, the page
    // reconnects from its cursor.
    await page.evaluate(() => window.plinth.dropStreams());
    await waitForTask(server, task.id, ["finished"]);
    await page.locator(`.task-row[data-task="${task.id}"][data-status="finished"]`).waitFor();
    await page.waitForFunction(() => window.plinth.transcript().some((e) => e.text === "line 30"));
    const said = await page.evaluate(() =>
      window.plinth
        .transcript()
        .filter((e) => e.type === "message")
        .map((e) => e.text),
    );
    const expected = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    assert.deepEqual(said, expected);
    await screenshot(page, "transcript-after-reload");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("the inspector follows the actor tree live: a task's agent host appears, crashes and is restarted", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c);
    const page = await signedInPage(browser, server, "/inspector");
    const reads = [];
    page.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/actors") reads.push(r.url());
    });
    await page.locator('[data-testid="actors"] tr[data-actor]').first().waitFor();
    // A guest trap kills the agent host; its supervisor starts it again and the script goes on.
    const task = await scriptedTask(server, repo, ["say hello", "sleep 1500", "trap", "wait-message"]);
    const row = page.locator(`[data-testid="actors"] tr[data-actor$="/task-${task.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.locator("td.warn", { hasText: "1" }).waitFor({ timeout: 15_000 });
    assert.match(await row.locator(".error-cell").innerText(), /\S/, "the crash shows as its last error");
    await waitForTask(server, task.id, ["waiting-for-user"]);
    await screenshot(page, "inspector-restart");
    assert.equal(reads.length, 0, `the page reads the tree from its stream, opened before; it polled: ${reads}`);
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});

test("the pages fit a phone's width: no sideways scrolling, the task page has a way back", async () => {
  const c = cleanup();
  try {
    const { server, repo, browser } = await setup(c, { viewport: { width: 390, height: 844 } });
    const task = await scriptedTask(server, repo, ["say a reply long enough to wrap on a narrow screen, ".repeat(4), "wait-message", "finish"]);
    await waitForTask(server, task.id, ["waiting-for-user"]);
    const page = await signedInPage(browser, server);
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await page.locator(`.task-row[data-task="${task.id}"]`).waitFor();
    assert.ok(await fits(), "home fits");
    await screenshot(page, "phone-home");
    await page.locator(`.task-row[data-task="${task.id}"]`).click();
    await page.getByTestId("transcript").getByText("narrow screen").first().waitFor();
    assert.ok(await fits(), "the task page fits");
    assert.ok(await page.locator("#message").isVisible(), "the message box is on screen");
    await screenshot(page, "phone-task");
    await page.getByText("← Tasks").click();
    await page.waitForURL(`${server.url}/`);
    await page.keyboard.press("i");
    await page.locator('[data-testid="actors"] tr[data-actor]').first().waitFor();
    await screenshot(page, "phone-inspector");
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});
