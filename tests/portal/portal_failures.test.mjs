// A failing receiver in Chromium: its attempts are shown, one is retried, the failed deliveries
// are recovered since a time; a payload and an answer body holding <script> run nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertAccessible, eventually, openPage, screenshot, startWorld } from './harness.mjs';

let world;
let webhookId;
const PAYLOAD = '<script>window.hookdPayloadRan = true</script><img src=x onerror="window.hookdPayloadRan = true">';
before(async () => {
  world = await startWorld();
  const admin6 = await world.token('admin', 6);
  webhookId = (await world.ok('POST', '/v2/webhooks', {
    organizationId: 6, webhookUrl: world.receiver.url('/script/failing'),
    topics: ['DeviceTamperEvents'], deviceIds: [85],
  }, admin6)).id;
  await world.ok('POST', '/v2/platform/events', {
    deviceId: 85, topic: 'DeviceTamperEvents', type: 'DeviceTamperVibration', data: { note: PAYLOAD },
  });
  // Three attempts (a retry schedule of two), then failed.
  await eventually(async () => (await world.ok('GET', `/v2/webhooks/${webhookId}/deliveries?status=failed`)).length === 1,
                   { what: 'the delivery to fail', timeout: 20000 });
});
after(async () => { await world?.stop(); });

const ran = (page) => page.evaluate(() => ({
  payload: window.hookdPayloadRan, answer: window.hookdAnswerRan,
  scripts: document.querySelectorAll('main script, main img').length,
}));

test('a failing receiver\'s attempts are shown and one is retried; a time recovers them', async () => {
  const session = await world.session(6, 'admin');
  const { page, assertClean, close } = await openPage(world);
  await page.goto(session.url);
  await page.locator(`tr[data-webhook-id="${webhookId}"] .last-delivery`).getByText(/failed \(HTTP 500\)/).waitFor();
  await page.getByRole('link', { name: `#${webhookId}` }).click();
  await page.selectOption('#delivery-status', 'failed');
  const failed = page.locator('#deliveries tr[data-status="failed"]');
  await failed.first().waitFor();
  await failed.first().getByRole('link').click();

  await page.getByRole('heading', { name: 'Attempt 3' }).waitFor();
  for (const n of [1, 2, 3]) {
    const attempt = page.locator(`[data-attempt="${n}"]`);
    assert.match(await attempt.textContent(), /HTTP 500/);
    // The receiver's answer, <script> and all, is text.
    assert.match(await attempt.locator('pre.answer').textContent(), /<script>window\.hookdAnswerRan = true<\/script>/);
  }
  assert.ok((await page.locator('pre.code').first().textContent()).includes('"note": "<script>window.hookdPayloadRan = true</script><img src=x onerror=\\"'));
  assert.deepEqual(await ran(page), { payload: undefined, answer: undefined, scripts: 0 });
  await assertAccessible(page, 'failed delivery');
  await screenshot(page, 'delivery-failed');

  const before = world.receiver.received.filter((r) => r.path === '/script/failing').length;
  await page.getByRole('button', { name: 'Retry now' }).click();
  await page.getByRole('heading', { name: 'Attempt 4' }).waitFor({ timeout: 15000 });
  assert.match(await page.locator('[data-attempt="4"]').textContent(), /HTTP 500/);
  assert.equal(world.receiver.received.filter((r) => r.path === '/script/failing').length, before + 1);
  await eventually(async () => (await world.ok('GET', `/v2/webhooks/${webhookId}/deliveries?status=failed`)).length === 1,
                   { what: 'the retried delivery to end failed again' });

  await page.getByRole('link', { name: `#${webhookId}` }).click();
  const hourAgo = new Date(Date.now() - 3600 * 1000);
  const pad = (n) => String(n).padStart(2, '0');
  const local = `${hourAgo.getFullYear()}-${pad(hourAgo.getMonth() + 1)}-${pad(hourAgo.getDate())}` +
                `T${pad(hourAgo.getHours())}:${pad(hourAgo.getMinutes())}:${pad(hourAgo.getSeconds())}`;
  await page.fill('#recover-since', local);
  await page.getByRole('button', { name: 'Recover', exact: true }).click();
  await page.getByText('1 delivery queued again.').waitFor();
  await eventually(() => world.receiver.received.filter((r) => r.path === '/script/failing').length > before + 1,
                   { what: 'the recovered delivery at the receiver' });
  assert.deepEqual(await ran(page), { payload: undefined, answer: undefined, scripts: 0 });
  assertClean([]);
  await close();
});
