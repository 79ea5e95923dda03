// A store that stops taking writes while the server runs: the page says so in a banner,
// and the banner goes once a write succeeds again. The condition is real (a small disk
// filled up under the running server, which holds for root too), so this runs as root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, openSync, writeSync, fsyncSync, closeSync, rmSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, launchBrowser, signedInPage, screenshot, cleanup } from "./support.mjs";

/** Writes zeros into `path` until the filesystem is full (bounded by its size). */
function fill(path) {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let i = 0; i < 100_000; i++) {
      writeSync(fd, chunk);
      fsyncSync(fd);
    }
  } catch {
    return;
  } finally {
    closeSync(fd);
  }
  throw new Error("the small disk never filled up");
}

async function append(server, size) {
  const res = await fetch(`${server.url}/api/events`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.token}`, "content-type": "application/json" },
    body: JSON.stringify({ kind: "ext.filler", data: { text: "z".repeat(size) } }),
  });
  return res.status;
}

test("a store that stops taking writes shows as a banner until a write succeeds", async () => {
  const c = cleanup();
  try {
    const home = mkdtempSync(join(tmpdir(), "plinth-ui-small-home-"));
    c.add(() => rmdirSync(home));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", home]);
    c.add(() => execFileSync("umount", ["-l", home]));
    const server = await startServer({ home });
    c.add(() => server.stop());
    const browser = await launchBrowser();
    c.add(() => browser.close());
    const page = await signedInPage(browser, server);
    const banner = page.getByTestId("health-problem");
    assert.equal(await banner.count(), 0, "no banner while the store is fine");

    const filler = join(home, "filler");
    fill(filler);
    // Bigger than anything in the log yet, so it needs new room on the full disk.
    assert.equal(await append(server, 1024 * 1024), 503);
    await banner.waitFor({ timeout: 15_000 });
    const text = await banner.textContent();
    assert.match(text, /cannot write to its store/);
    await screenshot(page, "health-store-failing");

    rmSync(filler);
    assert.equal(await append(server, 16), 200);
    await banner.waitFor({ state: "detached", timeout: 15_000 });
    assert.deepEqual(page.errors, []);
  } finally {
    await c.run();
  }
});
