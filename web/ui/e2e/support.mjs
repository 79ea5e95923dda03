// Helpers for the browser tests: the real `plinth serve` on a private PLINTH_HOME (read
// its server.json for URL and token, as tests/support/mod.rs does), a scratch git
// repository for tasks, and Debian's Chromium driven by playwright-core.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, mkdirSync, existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, "../../..");

/** The plinth binary under test: PLINTH_BIN, else the debug build in the target dir. */
export function plinthBin() {
  if (process.env.PLINTH_BIN) return process.env.PLINTH_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(repoRoot, "target");
  return join(target, "debug", "plinth");
}

export const artifacts = process.env.PLINTH_UI_ARTIFACTS ?? join(repoRoot, "target", "ui-artifacts");

/** `home`: a PLINTH_HOME the caller made and removes (e.g. a small disk); else a fresh one. */
export async function startServer({ env: extra = {}, home: given = null } = {}) {
  const home = given ?? mkdtempSync(join(tmpdir(), "plinth-ui-home-"));
  const removeHome = () => {
    if (!given) rmSync(home, { recursive: true, force: true });
  };
  const bin = plinthBin();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build plinth first (cargo build --bin plinth)`);
  const env = { ...process.env, PLINTH_HOME: home, RUST_LOG: "warn", ...extra };
  for (const name of ["PLINTH_PORT", "DISPLAY", "WAYLAND_DISPLAY", "PLINTH_SANDBOX"]) delete env[name];
  const child = spawn(bin, ["serve", "--port", "0", "--no-open"], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const json = JSON.parse(readFileSync(join(home, "server.json"), "utf8"));
      if (json.pid === child.pid) {
        return {
          url: json.url,
          token: json.token,
          home,
          stderr: () => stderr,
          async stop() {
            if (child.exitCode === null) {
              child.kill("SIGTERM");
              const gone = new Promise((r) => child.once("exit", r));
              await Promise.race([gone, sleep(10_000, undefined, { ref: false })]);
              if (child.exitCode === null) child.kill("SIGKILL");
            }
            // Agents' tmux sessions outlive the server by design (a restart finds them):
            // the test's own tmux server goes with its home.
            try {
              execFileSync("tmux", ["-S", join(home, "tmux.sock"), "kill-server"], { stdio: "ignore" });
            } catch {
              /* no tmux server was started */
            }
            removeHome();
          },
        };
      }
    } catch {
      /* not written yet */
    }
    if (child.exitCode !== null) {
      removeHome();
      throw new Error(`plinth serve exited early (${child.exitCode}): ${stderr}`);
    }
    await sleep(20);
  }
  child.kill("SIGKILL");
  removeHome();
  throw new Error(`plinth serve did not start in time: ${stderr}`);
}

/** `plinth dev mock-llm` with `script` (docs/mock-llm.md): a model that streams on cue. */
export async function startMockLlm(script) {
  const dir = mkdtempSync(join(tmpdir(), "plinth-ui-mock-"));
  const file = join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const env = { ...process.env };
  for (const name of ["PLINTH_PORT", "PLINTH_BIND"]) delete env[name];
  const child = spawn(plinthBin(), ["dev", "mock-llm", "--script", file, "--port", "0"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const url = await new Promise((resolveUrl, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`mock-llm printed no URL: ${stderr}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        resolveUrl(line.trim());
      }
    });
    child.once("exit", (code) => reject(new Error(`mock-llm exited (${code}): ${stderr}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await Promise.race([new Promise((r) => child.once("exit", r)), sleep(5000, undefined, { ref: false })]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A git repository with one commit on `main`, for tasks to work on. */
export function makeRepo() {
  const dir = mkdtempSync(join(tmpdir(), "plinth-ui-repo-"));
  const git = (...args) =>
    execFileSync("git", args, {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@e", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@e" },
    });
  git("init", "-q", "-b", "main");
  execFileSync("sh", ["-c", "echo hello > README.md"], { cwd: dir });
  git("add", ".");
  git("commit", "-q", "-m", "first");
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The API with the token, as a script would call it. */
export async function api(server, method, path, body) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${server.token}`, accept: "application/json", "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A scripted task in local mode (no Docker): `lines` after the `#!scripted` line. */
export function scriptedTask(server, repo, lines) {
  return api(server, "POST", "/api/tasks", {
    prompt: ["#!scripted", ...lines].join("\n"),
    repo: repo.dir,
    agent: "scripted",
    sandbox: "local",
  });
}

export async function waitForTask(server, id, statuses, limitMs = 30_000) {
  const deadline = Date.now() + limitMs;
  let task;
  while (Date.now() < deadline) {
    task = await api(server, "GET", `/api/tasks/${id}`);
    if (statuses.includes(task.status)) return task;
    await sleep(100);
  }
  throw new Error(`task ${id} is ${task?.status}, not ${statuses.join("/")}, after ${limitMs} ms`);
}

/** Debian's Chromium, headless, on a fresh profile; the machine has no internet. */
export async function launchBrowser({ viewport = { width: 1280, height: 800 } } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "plinth-ui-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.PLINTH_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A page signed in through the printed link, as a user would open it. */
export async function signedInPage(browser, server, path = "/") {
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  const errors = [];
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${server.url}${path}${path.includes("?") ? "&" : "?"}token=${server.token}`);
  await page.locator('[data-testid="connection"].live').waitFor({ timeout: 15_000 });
  page.errors = errors;
  return page;
}

export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

/** Everything a test made, undone in reverse, even when it failed half-way. */
export function cleanup() {
  const steps = [];
  return {
    add: (fn) => steps.push(fn),
    async run() {
      for (const fn of steps.reverse()) {
        try {
          await fn();
        } catch (err) {
          console.error("cleanup:", err);
        }
      }
    },
  };
}
