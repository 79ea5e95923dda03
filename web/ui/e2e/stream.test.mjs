// The model's text as it arrives: a scripted task calls the model through plinth's LLM
// proxy (curl, with the task's own ANTHROPIC_BASE_URL and key) and the mock model streams
// its reply slowly, so the page shows the text growing, then the tool call, once each,
// and nothing already drawn moves meanwhile.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  startServer,
  startMockLlm,
  makeRepo,
  launchBrowser,
  signedInPage,
  screenshot,
  cleanup,
  scriptedTask,
  waitForTask,
} from "./support.mjs";

const REPLY =
  "Reading the repository first. The README says hello, so the change is small: one line in the greeting, then the tests. ".repeat(2).trim();

test("model text streams into the transcript as it arrives, nothing above it moves, and its tool call is folded", async () => {
  const c = cleanup();
  try {
    const mock = await startMockLlm({
      replies: [
        {
          when: { tools: null },
          content: [
            { type: "text", text: REPLY },
            { type: "tool_use", name: "Bash", input: { command: "ls -la" } },
          ],
          chunk_delay_ms: 60,
        },
      ],
    });
    c.add(() => mock.stop());
    const server = await startServer({ env: { PLINTH_LLM_UPSTREAM: mock.url } });
    c.add(() => server.stop());
    const repo = makeRepo();
    c.add(() => repo.remove());
    const browser = await launchBrowser();
    c.add(() => browser.close());

    const body = JSON.stringify({
      model: "mock-model",
      max_tokens: 256,
      stream: true,
      messages: [{ role: "user", content: "go" }],
    });
    const task = await scriptedTask(server, repo, [
      "say calling the model",
      "sleep 1500",
      `run curl -sS -N --max-time 60 "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" -H "anthropic-version: 2023-06-01" -H "content-type: application/json" -d '${body}' > /dev/null`,
      "say the model answered",
      "wait-message",
    ]);
    const page = await signedInPage(browser, server, `/tasks/${task.id}`);
    await page.getByTestId("transcript").getByText("calling the model").waitFor({ timeout: 20_000 });
    // Layout shifts from here on (Chromium's Layout Instability API), and every frame the
    // place of each entry in the transcript: once drawn, an entry never moves (new ones
    // only come after it), however the text above it grows.
    await page.evaluate(() => {
      window.__shifts = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (!e.hadRecentInput) window.__shifts.push(e.value);
      }).observe({ type: "layout-shift" });
      window.__moves = [];
      const placed = new Map();
      const scroller = document.querySelector('[data-testid="transcript"]');
      const frame = () => {
        for (const wrap of scroller.querySelectorAll(".entry-wrap")) {
          const top = Math.round(wrap.getBoundingClientRect().top - scroller.getBoundingClientRect().top + scroller.scrollTop);
          const name = (wrap.textContent || "").slice(0, 40);
          const before = placed.get(name);
          if (before !== undefined && before !== top) window.__moves.push(`${name}: ${before} -> ${top}`);
          placed.set(name, top);
        }
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    });
    // Sample the streaming entry's text while it grows.
    const lengths = await page.evaluate(async (full) => {
      const seen = [];
      const deadline = performance.now() + 30_000;
      while (performance.now() < deadline) {
        const streaming = window.plinth.transcript().find((e) => e.type === "message" && e.role === "agent" && full.startsWith(e.text) && e.text.length > 0);
        if (streaming && !seen.includes(streaming.text.length)) seen.push(streaming.text.length);
        if (streaming && streaming.text === full) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      return seen;
    }, REPLY);
    console.log(`streamed text seen at lengths ${lengths}`);
    assert.ok(lengths.length >= 3, `the text grew in steps, seen at lengths ${lengths}`);
    assert.equal(lengths.at(-1), REPLY.length);
    await page.locator(".entry.streaming").first().waitFor({ state: "detached", timeout: 20_000 }).catch(() => {});
    await screenshot(page, "transcript-streamed");
    assert.deepEqual(await page.evaluate(() => window.__moves), [], "no entry moved while the text streamed");
    // Chromium counts the streaming text's own reflow as it wraps (a few thousandths per
    // chunk); 0.1 is what web vitals call good for a whole page's life.
    const shifts = await page.evaluate(() => window.__shifts);
    const cls = shifts.reduce((a, b) => a + b, 0);
    console.log(`layout shift while streaming: ${cls.toFixed(4)} over ${shifts.length} shifts`);
    assert.ok(cls < 0.1, `the page jumped while the text streamed: layout shift ${cls} (${shifts})`);

    await waitForTask(server, task.id, ["waiting-for-user"]);
    await page.getByTestId("transcript").getByText("the model answered").waitFor();
    assert.deepEqual(await page.evaluate(() => window.__moves), [], "no entry moved as the call ended");
    const entries = await page.evaluate(() => window.plinth.transcript());
    assert.equal(entries.filter((e) => e.type === "message" && e.text === REPLY).length, 1, "the reply shows once");
    const tools = entries.filter((e) => e.type === "tool");
    assert.equal(tools.length, 1);
    assert.equal(tools[0].name, "Bash");
    assert.equal(tools[0].summary, "ls -la");
    assert.equal(entries.filter((e) => e.type === "message" && e.streaming).length, 0, "the call is over");
    // The tool call is folded: its input shows only when opened.
    const tool = page.locator(".entry.tool");
    assert.equal(await tool.locator("pre").isVisible(), false);
    await tool.locator("summary").click();
    await tool.locator("pre", { hasText: '"command": "ls -la"' }).waitFor();
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});
