// validate_exchanges.mjs itself: it passes what the document says and fails each kind of drift.
// Usage: node --test validate_exchanges_test.mjs   (HOOKD_OPENAPI_JSON names build/openapi/hookd.json)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const documentFile = process.env.HOOKD_OPENAPI_JSON;
assert.ok(documentFile, 'HOOKD_OPENAPI_JSON must name the built document');

const seedHeaders = [
  ['Access-Control-Expose-Headers', 'authorization, content-type'],
  ['Access-Control-Allow-Headers', 'authorization, content-type'],
  ['Access-Control-Allow-Methods', 'GET, POST, DELETE, OPTIONS, PUT'],
  ['Access-Control-Allow-Origin', '*'],
  ['Strict-Transport-Security', 'max-age=31536000; includeSubDomains'],
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-XSS-Protection', '1; mode=block'],
  ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
  ['Referrer-Policy', 'no-referrer'],
  ['Feature-Policy', 'self'],
  ['Permissions-policy', 'interest-cohort=()'],
];
const json = [['Content-Type', 'application/json']];

const answer = (method, path, status, body, headers = [...seedHeaders, ...json]) =>
  ({ baseUrl: 'http://127.0.0.1:1', method, path, requestHeaders: [], status, headers, body });
const error = (status, code, message = code) =>
  JSON.stringify({ message, code, errorMessage: message, errorCode: code });
const webhookBody = JSON.stringify({
  id: 1, organizationId: 6, deviceIds: [85], deviceGroupIds: [], webhookUrl: 'https://h.example.com/in',
  topics: ['DeviceTamperEvents'], status: 'enabled', disabledReason: null, hasSecretHttp: false,
  dateCreated: '2026-11-29T06:00:00.000Z', dateModified: '2026-11-29T06:00:00.000Z',
});
const eventBody = {
  id: 'evt_0VcMGq2lTm5Qw8Zr3XbN1yKe', webhookId: 1, topic: 'DeviceTamperEvents', type: null,
  time: '2026-11-29T06:00:00.000Z', organizationId: 6, deviceId: 85, data: { level: 3 },
};
const delivery = (headers = {}, body = eventBody) => ({
  method: 'POST', path: '/ok/1',
  headers: {
    'content-type': 'application/json', 'user-agent': 'hookd/0.1.0',
    'webhook-id': eventBody.id, 'webhook-timestamp': '1795935966',
    'webhook-signature': 'v1,' + 'A'.repeat(43) + '=', 'x-webhook-topic': 'DeviceTamperEvents',
    'x-webhook-attempt': '1', ...headers,
  },
  body: JSON.stringify(body),
});

function validate(exchanges, deliveries = []) {
  const dir = mkdtempSync(join(tmpdir(), 'hookd-exchanges-'));
  try {
    const lines = (items) => items.map((i) => JSON.stringify(i) + '\n').join('');
    writeFileSync(join(dir, 'exchanges-1.jsonl'), lines(exchanges));
    writeFileSync(join(dir, 'deliveries-1.jsonl'), lines(deliveries));
    const run = spawnSync(process.execPath, [join(here, 'validate_exchanges.mjs'),
                                             '--document', documentFile, '--dir', dir], { encoding: 'utf8' });
    return { ok: run.status === 0, out: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('answers and deliveries as documented pass', () => {
  const r = validate([
    answer('GET', '/healthz', 200, '{"status":"ok"}'),
    answer('HEAD', '/healthz', 200, ''),
    answer('GET', '/v2/webhooks/1', 200, webhookBody),
    answer('GET', '/v2/webhooks/1/', 404, error(404, 'WebhookNotFound')),
    // Idempotent-Replayed is optional: its absence is no mismatch.
    answer('POST', '/v2/webhooks', 200, '{"id":2,"secretHmac":"bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"}'),
    answer('POST', '/v2/webhooks', 200, '{"id":2,"secretHmac":"bSxyOp4vaSNpvyUMfrA98WsOqRSlzBBB"}',
           [...seedHeaders, ...json, ['Idempotent-Replayed', 'true']]),
    answer('DELETE', '/v2/webhooks/1', 204, '', seedHeaders),
    answer('OPTIONS', '/nowhere', 204, '', seedHeaders),
    answer('GET', '/v3/anything', 404, error(404, 'NotFound')),
    answer('PATCH', '/v2/webhooks/1', 405, error(405, 'MethodNotAllowed')),
    answer('GET', '/v2/webhooks?x=1&x=2', 400, error(400, 'InvalidQueryParameter')),
    answer('GET', '/v2/webhooks', 429, error(429, 'TooManyRequests'),
           [...seedHeaders, ...json, ['Retry-After', '12']]),
  ], [delivery(), delivery({ 'x-webhook-secret': 'PoWJFA11inptkbGz' })]);
  assert.ok(r.ok, r.out);
  assert.match(r.out, /validated 12 answers and 2 deliveries/);
});

const drifts = {
  'an undocumented status': [[answer('GET', '/healthz', 418, error(418, 'NotFound'))],
                             /GET \/healthz -> 418: status 418 is not documented/],
  'a missing seed header': [[answer('GET', '/healthz', 200, '{"status":"ok"}',
                                    [...seedHeaders.filter(([n]) => n !== 'X-Frame-Options'), ...json])],
                            /header X-Frame-Options is missing/],
  'a seed header with another value': [[answer('GET', '/healthz', 200, '{"status":"ok"}',
                                               [...seedHeaders.map(([n, v]) => [n, n === 'Feature-Policy' ? 'none' : v]), ...json])],
                                       /header Feature-Policy: "none"/],
  'a seed header sent twice': [[answer('GET', '/healthz', 200, '{"status":"ok"}',
                                       [...seedHeaders, ['Referrer-Policy', 'no-referrer'], ...json])],
                               /header Referrer-Policy is sent 2 times/],
  'a required header of the answer missing': [[answer('GET', '/v2/webhooks', 429, error(429, 'TooManyRequests'))],
                                              /header Retry-After is missing/],
  'a field the document does not have': [[answer('GET', '/v2/webhooks/1', 200, webhookBody.replace('"hasSecretHttp"', '"hasSecret"'))],
                                         /must NOT have additional properties \(hasSecret\)/],
  'a value outside its enum': [[answer('GET', '/v2/webhooks/1', 200, webhookBody.replace('"enabled"', '"paused"'))],
                               /\/status must be equal to one of the allowed values/],
  'an error code the response does not list': [[answer('GET', '/v2/webhooks/1', 404, error(404, 'DeviceNotFound'))],
                                               /GET \/v2\/webhooks\/\{id\} -> 404: body \/code must be equal to constant/],
  'an error body whose code and errorCode differ': [[answer('GET', '/v2/webhooks/1', 404,
      JSON.stringify({ message: 'Webhook not found', code: 'WebhookNotFound', errorMessage: 'Webhook not found', errorCode: 'NotFound' }))],
    /errorCode must be equal to constant|code must equal errorCode/],
  'an unlisted path answered 200': [[answer('GET', '/v2/hidden', 200, '{}')],
                                    /GET \(unlisted path\) -> 200: status 200 is not documented/],
  'another Content-Type': [[answer('GET', '/healthz', 200, '{"status":"ok"}', [...seedHeaders, ['Content-Type', 'text/plain']])],
                           /Content-Type "text\/plain" is not one of application\/json/],
  'a body where none is documented': [[answer('DELETE', '/v2/webhooks/1', 204, '{}', seedHeaders)],
                                      /body where the document gives none/],
  'a delivery without its signature': [[], /header webhook-signature is missing/, [delivery({ 'webhook-signature': undefined })]],
  'a delivery with a malformed signature': [[], /header webhook-signature: "v1,abc"/, [delivery({ 'webhook-signature': 'v1,abc' })]],
  'a delivery whose body is of another topic': [[], /webhook DeviceStatusEvents -> delivery: body \/topic must be equal to constant/,
                                                [delivery({ 'x-webhook-topic': 'DeviceStatusEvents' })]],
  'a delivered body with a field too many': [[], /must NOT have additional properties \(extra\)/,
                                             [delivery({}, { ...eventBody, extra: 1 })]],
};

for (const [what, [exchanges, expected, deliveries]] of Object.entries(drifts)) {
  test(`${what} fails`, () => {
    const cleaned = (deliveries ?? []).map((d) => ({
      ...d, headers: Object.fromEntries(Object.entries(d.headers).filter(([, v]) => v !== undefined)) }));
    const r = validate(exchanges, cleaned);
    assert.equal(r.ok, false, r.out);
    assert.match(r.out, expected);
  });
}
