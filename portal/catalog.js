// The events a webhook receives, the headers that come with them, and how to check a signature.
import { h } from './dom.js';

const EVENTS = [
  {
    topic: 'DeviceActivationEvents',
    about: 'A device was activated (put into service).',
    type: 'DeviceActivated',
    data: { activatedBy: 'installer', firmware: '4.2.1' },
  },
  {
    topic: 'DeviceDeactivationEvents',
    about: 'A device was deactivated (taken out of service).',
    type: 'DeviceDeactivated',
    data: { reason: 'replaced' },
  },
  {
    topic: 'DeviceStatusEvents',
    about: 'A device reported its state: locked, unlocked, battery, connectivity.',
    type: 'DeviceStatusLocked',
    data: { locked: true, battery: 87 },
  },
  {
    topic: 'DeviceTamperEvents',
    about: 'A device sensed tampering: vibration, forced opening.',
    type: 'DeviceTamperVibration',
    data: { level: 'high' },
  },
  {
    topic: 'WebhookTestEvents',
    about: 'Sent by "Send test event" to this webhook alone; it concerns no device.',
    type: 'WebhookTest',
    data: { message: 'A test event sent through the hookd API' },
    test: true,
  },
];

function example(e) {
  return {
    id: 'evt_2Yk5mQ1c8JfXo3bT',
    webhookId: 2,
    topic: e.topic,
    type: e.type,
    time: '2026-11-29T06:22:48.123Z',
    organizationId: 6,
    deviceId: e.test ? null : 85,
    data: e.data,
  };
}

const HEADERS = `content-type: application/json
user-agent: hookd/<version>
webhook-id: <event id, the same on every retry>
webhook-timestamp: <unix seconds of this attempt>
webhook-signature: v1,<base64 HMAC-SHA256> [v1,<...> per older secret still in grace]
x-webhook-topic: <topic>
x-webhook-attempt: <1, 2, ...>
x-webhook-secret: <simple secret, only when the webhook has one>`;

const JAVASCRIPT = `import { Webhook } from "standardwebhooks";

// rawBody: the bytes as received, before any JSON parsing.
const wh = new Webhook(secretHmac);  // throws when the signature is wrong
const event = wh.verify(rawBody, {
  "webhook-id": req.headers["webhook-id"],
  "webhook-timestamp": req.headers["webhook-timestamp"],
  "webhook-signature": req.headers["webhook-signature"],
});`;

const PYTHON = `import base64, hashlib, hmac, time

def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300) -> bool:
    timestamp = int(headers["webhook-timestamp"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f'{headers["webhook-id"]}.{timestamp}.'.encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())`;

const CLI = `hookd verify --secret "$SECRET" --id "$WEBHOOK_ID" \\
  --timestamp "$WEBHOOK_TIMESTAMP" --signature "$WEBHOOK_SIGNATURE" < body.json
# exit status 0: the signature is valid`;

const code = (text, label) => h('pre', { class: 'code', tabindex: '0', 'aria-label': label }, text);

export function renderCatalog(main) {
  document.title = 'Event catalog · Webhooks portal';
  main.append(
    h('h1', {}, 'Event catalog'),
    h('p', {}, 'Each delivery is one HTTP POST of one event to one webhook, signed after the ',
      'Standard Webhooks 1.0 scheme. Any 2xx answer is success; anything else is retried.'),
    h('section', { 'aria-labelledby': 'headers-title' },
      h('h2', { id: 'headers-title' }, 'Headers of every delivery'), code(HEADERS, 'Delivery headers')),
    h('section', { 'aria-labelledby': 'topics-title' },
      h('h2', { id: 'topics-title' }, 'Topics'),
      EVENTS.map((e) => h('article', { class: 'card', 'aria-labelledby': `topic-${e.topic}` },
        h('h3', { id: `topic-${e.topic}` }, e.topic),
        h('p', {}, e.about),
        code(JSON.stringify(example(e), null, 2), `Example ${e.topic} body`)))),
    h('section', { 'aria-labelledby': 'verify-title' },
      h('h2', { id: 'verify-title' }, 'Verifying a signature'),
      h('p', {}, 'The signature is HMAC-SHA256 over "webhook-id.webhook-timestamp.body" with the ',
        'key base64decode(secretHmac). Verify the raw bytes as received, and drop a webhook-id ',
        'already processed: a retry carries the same one.'),
      h('h3', {}, 'JavaScript (npm standardwebhooks)'), code(JAVASCRIPT, 'JavaScript verification'),
      h('h3', {}, 'Python (standard library)'), code(PYTHON, 'Python verification'),
      h('h3', {}, 'Command line'), code(CLI, 'Command line verification')));
}
