// What a portal session may not do or see, in Chromium: a read session offers no write action
// (also before its organization has a webhook), a platform token is not taken, a session of
// organization 6 never sees organization 7's webhooks, an expired session is refused, and the
// page's policy refuses inline scripts.
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertAccessible, eventually, openPage, screenshot, startWorld } from './harness.mjs';

let world;
let ours;
let theirs;
before(async () => {
  world = await startWorld();
  const admin6 = await world.token('admin', 6);
  const admin7 = await world.token('admin', 7);
  ours = (await world.ok('POST', '/v2/webhooks', {
    organizationId: 6, webhookUrl: world.receiver.url('/ok/ours'), topics: ['DeviceStatusEvents'],
    deviceIds: [85],
  }, admin6)).id;
  theirs = (await world.ok('POST', '/v2/webhooks', {
    organizationId: 7, webhookUrl: world.receiver.url('/ok/theirs-7'), topics: ['DeviceStatusEvents'],
  }, admin7)).id;
  // More deliveries than one page of the portal holds (20).
  const events = Array.from({ length: 22 }, (_, i) => ({ deviceId: 85, topic: 'DeviceStatusEvents', data: { n: i } }));
  await world.ok('POST', '/v2/platform/events', { events });
  await world.ok('POST', '/v2/platform/events', { deviceId: 89, topic: 'DeviceStatusEvents', data: { locked: true } });
  await eventually(async () => (await world.ok('GET', `/v2/webhooks/${ours}/deliveries?status=succeeded`)).length === 22,
                   { what: 'the deliveries of organization 6' });
});
after(async () => { await world?.stop(); });

const WRITE_ACTIONS = /^(New webhook|Edit|Send test event|Disable|Enable|Rotate secret|Delete|Recover|Retry now|Create webhook|Save)$/;

async function writeActionsOnPage(page) {
  const names = await page.locator('main button, main a.button, main input[type="submit"]').allTextContents();
  return names.map((n) => n.trim()).filter((n) => WRITE_ACTIONS.test(n));
}

test('a read session offers no write action', async () => {
  const session = await world.session(6, 'read', '10m');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.locator(`tr[data-webhook-id="${ours}"]`).waitFor();
  await page.getByText('This session can read, not change.').waitFor();
  assert.deepEqual(await writeActionsOnPage(page), []);
  await assertAccessible(page, 'read-only list');
  await screenshot(page, 'webhooks');

  await page.getByRole('link', { name: `#${ours}` }).click();
  await page.locator('#deliveries tr[data-status="succeeded"]').first().waitFor();
  assert.deepEqual(await writeActionsOnPage(page), []);
  assert.equal(await page.locator('#recover-since').count(), 0);
  // Newest first, twenty to a page.
  const firstPage = await page.locator('#deliveries tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.deliveryId));
  assert.equal(firstPage.length, 20);
  const newest = (await world.ok('GET', `/v2/webhooks/${ours}/deliveries?size=1`))[0];
  assert.equal(firstPage[0], String(newest.id));
  await page.getByRole('button', { name: 'Older' }).click();
  await eventually(async () => (await page.locator('#deliveries tbody tr').count()) === 2, { what: 'the second page' });
  const secondPage = await page.locator('#deliveries tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.deliveryId));
  assert.equal(secondPage.filter((id) => firstPage.includes(id)).length, 0);
  await page.getByRole('button', { name: 'Newer' }).click();
  await eventually(async () => (await page.locator('#deliveries tbody tr').count()) === 20, { what: 'the first page again' });
  await page.locator('#deliveries tr a').first().click();
  await page.getByRole('heading', { name: 'Attempt 1' }).waitFor();
  assert.deepEqual(await writeActionsOnPage(page), []);

  await page.goto(`${world.base}/portal/#/new`);
  await page.getByRole('heading', { name: 'Read only' }).waitFor();
  assert.deepEqual(await writeActionsOnPage(page), []);
  // The role came from GET /portal/session: no write was tried, nothing failed.
  assertClean();
  await close();
});

test('a read session of an organization with no webhook yet offers no write action either', async () => {
  await world.ok('PUT', '/v2/platform/organizations/8', { name: 'org 8' });
  const session = await world.session(8, 'read');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.getByText('No webhook yet.').waitFor();
  await page.getByText('This session can read, not change.').waitFor();
  assert.deepEqual(await writeActionsOnPage(page), []);
  assertClean();
  await close();
});

test('a platform token is not taken at sign-in', async () => {
  const platform = await world.token('platform');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(`${world.base}/portal/`);
  await page.fill('#token', platform);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('This portal takes an admin or read token of an organization, or a portal link.').waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('#nav').isHidden(), true);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assertClean([403]);
  await close();
});

test('a session of organization 6 never sees organization 7\'s webhooks', async () => {
  const session = await world.session(6, 'admin');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.locator(`tr[data-webhook-id="${ours}"]`).waitFor();
  assert.equal(await page.locator(`tr[data-webhook-id="${theirs}"]`).count(), 0);
  assert.ok(!(await page.content()).includes('/ok/theirs-7'));
  await page.goto(`${world.base}/portal/#/webhooks/${theirs}`);
  await page.getByText(/Webhook not found/).waitFor();
  assert.ok(!(await page.content()).includes('/ok/theirs-7'));
  // Also at the API, with the same token.
  const r = await world.api('GET', `/v2/webhooks/${theirs}`, undefined, session.token);
  assert.equal(r.status, 404);
  const list = await world.api('GET', '/v2/webhooks', undefined, session.token);
  assert.deepEqual(list.body.map((w) => w.id), [ours]);
  assertClean([404]);
  await close();
});

test('an expired session is refused', async () => {
  const session = await world.session(6, 'admin', '1m');
  // The server's clock is the system's: the session's stored expiry is moved into the past, as
  // that clock passing it would (the newest token is this session).
  execFileSync('sqlite3', ['-cmd', '.timeout 5000', world.databasePath,
    'UPDATE tokens SET expires_at = 1 WHERE id = (SELECT max(id) FROM tokens) AND portal_session = 1']);
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.getByText('This session has expired or is not valid any more. Sign in again.').waitFor();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.locator('#nav').isHidden(), true);
  assert.equal((await world.api('GET', '/v2/webhooks', undefined, session.token)).status, 401);
  assertClean([401]);
  await close();
});

test('the portal\'s policy refuses inline scripts and framing', async () => {
  const { page, close } = await openPage(world);
  const response = await page.goto(`${world.base}/portal/`);
  const policy = response.headers()['content-security-policy'];
  assert.match(policy, /script-src 'self'/);
  assert.match(policy, /frame-ancestors 'none'/);
  await assert.rejects(page.addScriptTag({ content: 'window.inlineRan = true' }), /Content Security Policy/);
  assert.equal(await page.evaluate(() => window.inlineRan), undefined);
  await close();
});
