// An admin portal session, end to end in Chromium: open the session URL, create a webhook and
// copy its secret, see a validation error, send a test event and see it delivered with its
// attempt, rotate the secret, disable and enable, delete.
import { createHmac } from 'node:crypto';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertAccessible, eventually, openPage, screenshot, startWorld } from './harness.mjs';

let world;
before(async () => { world = await startWorld(); });
after(async () => { await world?.stop(); });

// Standard Webhooks: HMAC-SHA256 over "id.timestamp.body" with base64decode(secret).
function signatureValid(secret, request) {
  const signed = `${request.headers['webhook-id']}.${request.headers['webhook-timestamp']}.${request.body}`;
  const expected = `v1,${createHmac('sha256', Buffer.from(secret, 'base64')).update(signed).digest('base64')}`;
  return request.headers['webhook-signature'].split(' ').includes(expected);
}

test('an admin session manages a webhook from creation to deletion', async () => {
  const session = await world.session(6, 'admin', '30m');
  const { page, assertClean, close } = await openPage(world);

  await page.goto(session.url);
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  // The token leaves the address bar at once.
  assert.ok(!page.url().includes(session.token), page.url());
  await page.getByText('No webhook yet.').waitFor();
  await assertAccessible(page, 'empty webhook list');

  await page.getByRole('link', { name: 'New webhook' }).click();
  await page.getByRole('heading', { name: 'New webhook' }).waitFor();
  await page.getByText('For organization 6.').waitFor();
  await assertAccessible(page, 'create form');
  // The API's validation error is shown beside its field.
  await page.fill('#webhookUrl', 'http://127.0.0.1/plain-http');
  await page.getByLabel('DeviceStatusEvents').check();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  const urlError = page.locator('#webhookUrl-error');
  await urlError.waitFor();
  assert.match(await urlError.textContent(), /https/i);
  assert.equal(await page.getAttribute('#webhookUrl', 'aria-invalid'), 'true');
  await assertAccessible(page, 'create form with an error');
  await screenshot(page, 'create-form-error');

  await page.fill('#webhookUrl', world.receiver.url('/ok/portal-admin'));
  await page.getByLabel('DeviceTamperEvents').check();
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByText('You will not see this again.').waitFor();
  const secret = await page.inputValue('#secret-value');
  assert.match(secret, /^[A-Za-z0-9]{32}$/);
  await page.getByRole('button', { name: 'Copy secret' }).click();
  await page.getByText('Copied.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
  await assertAccessible(page, 'created webhook');
  await screenshot(page, 'secret-once');

  await page.getByRole('link', { name: 'Open the webhook' }).click();
  const heading = await page.getByRole('heading', { name: /^Webhook #\d+$/ }).textContent();
  const webhookId = Number(heading.replace(/\D/g, ''));
  await page.getByRole('button', { name: 'Send test event' }).click();
  await page.getByText(/Test event .* queued/).waitFor();
  const row = page.locator('#deliveries tr[data-status="succeeded"]');
  await row.first().waitFor({ timeout: 15000 });
  const test = await eventually(() => world.receiver.received.find((r) => r.path === '/ok/portal-admin'),
                                { what: 'the test event at the receiver' });
  assert.equal(test.headers['x-webhook-topic'], 'WebhookTestEvents');
  assert.ok(signatureValid(secret, test), 'the delivery is signed with the copied secret');
  await assertAccessible(page, 'webhook page');
  await screenshot(page, 'webhook');

  await row.first().getByRole('link').click();
  await page.getByRole('heading', { name: 'Attempt 1' }).waitFor();
  assert.match(await page.locator('[data-attempt="1"]').textContent(), /HTTP 200/);
  assert.match(await page.locator('pre.code').first().textContent(), /"topic": "WebhookTestEvents"/);
  await assertAccessible(page, 'delivery page');
  await screenshot(page, 'delivery-succeeded');

  await page.getByRole('link', { name: `#${webhookId}` }).click();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByRole('dialog').getByText(/grace period/).waitFor();
  await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
  await page.getByRole('heading', { name: 'New signing secret' }).waitFor();
  const rotated = await page.inputValue('#secret-value');
  assert.match(rotated, /^[A-Za-z0-9]{32}$/);
  assert.notEqual(rotated, secret);

  await page.getByRole('button', { name: 'Disable' }).click();
  await page.locator('.facts .badge-disabled').waitFor();
  assert.equal((await world.ok('GET', `/v2/webhooks/${webhookId}`)).status, 'disabled');
  await page.getByRole('button', { name: 'Enable' }).click();
  await page.locator('.facts .badge-enabled').waitFor();
  assert.equal((await world.ok('GET', `/v2/webhooks/${webhookId}`)).status, 'enabled');

  await page.getByRole('link', { name: 'Edit' }).click();
  await page.fill('#deviceIds', '85, 86');
  await page.fill('#secretHttp', 'a-simple-secret');
  await page.getByRole('button', { name: 'Save' }).click();
  // Exact: the edit form's own heading, "Edit webhook #N", holds "Webhook #N" too, and a
  // substring match would go on before the save has been answered.
  await page.getByRole('heading', { name: `Webhook #${webhookId}`, exact: true }).waitFor();
  const edited = await world.ok('GET', `/v2/webhooks/${webhookId}`);
  assert.deepEqual(edited.deviceIds, [85, 86]);
  assert.equal(edited.hasSecretHttp, true);

  await page.getByRole('button', { name: 'Delete' }).click();
  await assertAccessible(page, 'delete confirmation');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByText('No webhook yet.').waitFor();
  assert.equal((await world.api('GET', `/v2/webhooks/${webhookId}`)).status, 404);

  await page.getByRole('link', { name: 'Event catalog' }).click();
  await page.getByRole('heading', { name: 'Event catalog' }).waitFor();
  for (const topic of ['DeviceActivationEvents', 'DeviceDeactivationEvents', 'DeviceStatusEvents',
    'DeviceTamperEvents', 'WebhookTestEvents']) {
    await page.getByRole('heading', { name: topic }).waitFor();
  }
  await page.getByText('hookd verify --secret').waitFor();
  await assertAccessible(page, 'event catalog');
  await screenshot(page, 'catalog');

  // Only the validation error was a failed answer.
  assertClean([400]);
  await close();
});

test('the portal is usable by keyboard alone', async () => {
  const session = await world.session(6, 'admin');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  // The action is offered once the page knows the session's role (GET /portal/session).
  await page.getByRole('link', { name: 'New webhook' }).waitFor();
  // Tab from the top reaches the navigation and the "New webhook" action.
  const reached = [];
  for (let i = 0; i < 8; i += 1) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.textContent?.trim()));
  }
  assert.ok(reached.includes('Event catalog'), reached.join(' | '));
  assert.ok(reached.includes('New webhook'), reached.join(' | '));
  for (let i = 0; i < 8 && await page.evaluate(() => document.activeElement?.textContent?.trim()) !== 'New webhook'; i += 1) {
    await page.keyboard.press('Shift+Tab');
  }
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'New webhook' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'webhookUrl');
  assertClean();
  await close();
});

test('a pasted token signs in, and signing out forgets it', async () => {
  const token = await world.token('admin', 6);
  const { page, assertClean, close } = await openPage(world);
  await page.goto(`${world.base}/portal/`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await assertAccessible(page, 'sign-in');
  await screenshot(page, 'sign-in');
  await page.fill('#token', token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.reload();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assertClean();
  await close();
});

test('dark colours pass the same accessibility check', async () => {
  const admin6 = await world.token('admin', 6);
  const id = (await world.ok('POST', '/v2/webhooks', {
    organizationId: 6, webhookUrl: world.receiver.url('/ok/dark'), topics: ['DeviceStatusEvents'],
  }, admin6)).id;
  const session = await world.session(6, 'admin');
  const { page, assertClean, close } = await openPage(world, { colorScheme: 'dark' });
  await page.goto(session.url);
  await page.locator(`tr[data-webhook-id="${id}"]`).waitFor();
  assert.equal(await page.evaluate(() => matchMedia('(prefers-color-scheme: dark)').matches), true);
  await assertAccessible(page, 'dark webhook list');
  await page.getByRole('link', { name: `#${id}` }).click();
  await page.getByRole('heading', { name: 'Deliveries' }).waitFor();
  await assertAccessible(page, 'dark webhook page');
  await page.getByRole('link', { name: 'Event catalog' }).click();
  await page.getByRole('heading', { name: 'Event catalog' }).waitFor();
  await assertAccessible(page, 'dark event catalog');
  assertClean();
  await close();
});
