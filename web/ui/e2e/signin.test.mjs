// Sign-in: the printed URL carries the token once; the page ends up with the session
// cookie and an address bar without the token. The page itself loads without the
// cookie and says how to sign in.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, signedInPage, screenshot, cleanup } from "./support.mjs";

test("the printed link signs in, sets the cookie and leaves the address bar without the token", async () => {
  const c = cleanup();
  try {
    const server = await startServer();
    c.add(() => server.stop());
    const browser = await launchBrowser();
    c.add(() => browser.close());

    // Without the cookie: the page loads and tells the user what to do.
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/tasks/anything`);
    await page.getByText("Not signed in").waitFor();
    await screenshot(page, "signin-not-signed-in");

    const signed = await signedInPage(browser, server, "/?tab=2");
    assert.ok(!signed.url().includes("token"), `the token left the address bar: ${signed.url()}`);
    assert.ok(signed.url().endsWith("/?tab=2"), signed.url());
    const history = await signed.evaluate(() => history.length);
    assert.ok(history >= 1);
    const cookies = await browser.context.cookies(server.url);
    const session = cookies.find((k) => k.name.startsWith("plinth_session_"));
    assert.ok(session, `a session cookie: ${JSON.stringify(cookies)}`);
    assert.equal(session.httpOnly, true);
    assert.ok(!session.value.includes(server.token), "the cookie is not the token");
    assert.equal(await signed.evaluate(() => document.cookie), "", "scripts cannot read it");

    // The cookie alone opens the page on the next visit.
    await signed.goto(`${server.url}/inspector`);
    await signed.locator('[data-testid="actors"] tr[data-actor]').first().waitFor();
    await screenshot(signed, "inspector");
    assert.deepEqual(signed.errors, []);

    // The token in the fragment never reaches the server's logs: the page trades it itself.
    await browser.context.clearCookies();
    const fragment = await browser.context.newPage();
    await fragment.goto(`${server.url}/inspector#token=${server.token}`);
    await fragment.locator('[data-testid="connection"].live').waitFor();
    assert.equal(fragment.url(), `${server.url}/inspector`);
    assert.ok((await browser.context.cookies(server.url)).some((k) => k.name.startsWith("plinth_session_")));

    // A stale link: the page says so and drops the token too.
    const stale = await browser.context.newPage();
    await browser.context.clearCookies();
    await stale.goto(`${server.url}/?token=${"f".repeat(48)}`);
    await stale.getByText("token is not valid").waitFor();
    assert.ok(!stale.url().includes("token="), stale.url());
  } finally {
    await c.run();
  }
});
