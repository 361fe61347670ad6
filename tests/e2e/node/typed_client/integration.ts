// An integration written against the client generated from hookd's OpenAPI document
// (run.mjs): the platform registers an organization, a device and an admin token; the admin
// creates a webhook, reads it back and lists its deliveries after an event.
import createClient from 'openapi-fetch';
import type { components, paths } from 'hookd-api';

type Webhook = components['schemas']['Webhook'];

const [url, platformToken] = process.argv.slice(2);

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    console.error(`typed client: ${what}`);
    process.exit(1);
  }
}

const platform = createClient<paths>({ baseUrl: url, headers: { Authorization: `Bearer ${platformToken}` } });

const org = await platform.PUT('/v2/platform/organizations/{id}', {
  params: { path: { id: 42 } },
  body: { name: 'Typed Client Housing' },
});
check(org.response.status === 200 && org.data?.name === 'Typed Client Housing', 'put organization');
const device = await platform.PUT('/v2/platform/devices/{id}', {
  params: { path: { id: 4201 } },
  body: { organizationId: 42, name: 'front door' },
});
check(device.data?.organizationId === 42, 'put device');
const issued = await platform.POST('/v2/platform/tokens', { body: { role: 'admin', organizationId: 42 } });
check(issued.data !== undefined, 'issue an admin token');

const admin = createClient<paths>({ baseUrl: url, headers: { Authorization: `Bearer ${issued.data.token}` } });
const created = await admin.POST('/v2/webhooks', {
  body: {
    organizationId: 42,
    deviceIds: [4201],
    webhookUrl: 'https://webhooks.example.com/typed-client',
    topics: ['DeviceTamperEvents', 'DeviceStatusEvents'],
  },
});
check(created.data !== undefined, `create a webhook: ${JSON.stringify(created.error)}`);
const secret: string = created.data.secretHmac;
check(/^[A-Za-z0-9]{32}$/.test(secret), 'secretHmac');

const read = await admin.GET('/v2/webhooks/{id}', { params: { path: { id: created.data.id } } });
check(read.data !== undefined, 'read the webhook back');
const webhook: Webhook = read.data;
check(webhook.organizationId === 42 && webhook.status === 'enabled' && !webhook.hasSecretHttp &&
      webhook.deviceIds.join() === '4201' && webhook.topics.length === 2, `webhook ${JSON.stringify(webhook)}`);

const sent = await platform.POST('/v2/platform/events', {
  body: { deviceId: 4201, topic: 'DeviceTamperEvents', type: 'DeviceTamperVibration', data: { level: 3 } },
});
check(sent.response.status === 202 && sent.data !== undefined, 'send an event');
const eventId = sent.data.events[0]?.id;
check(sent.data.events[0]?.deliveries === 1, 'the event matched the webhook');

const deliveries = await admin.GET('/v2/webhooks/{id}/deliveries', {
  params: { path: { id: webhook.id }, query: { size: 10 } },
});
check(deliveries.data?.length === 1 && deliveries.data[0]?.eventId === eventId &&
      deliveries.data[0]?.topic === 'DeviceTamperEvents', `deliveries ${JSON.stringify(deliveries.data)}`);

// Errors are typed too: the seed's error body.
const missing = await admin.GET('/v2/webhooks/{id}', { params: { path: { id: 999999 } } });
check(missing.response.status === 404 && missing.error?.code === 'WebhookNotFound' &&
      missing.error.errorCode === 'WebhookNotFound', `missing webhook ${JSON.stringify(missing.error)}`);

// The generated types refuse what the document refuses (type-checked, never called).
export function refusedByTheTypes() {
  // @ts-expect-error: organizationId is an integer
  void admin.POST('/v2/webhooks', { body: { organizationId: 'six', webhookUrl: 'https://x.example', topics: ['DeviceTamperEvents'] } });
  // @ts-expect-error: not one of the four topics
  const wrongTopic: components['schemas']['Topic'] = 'DeviceExplodedEvents';
  return wrongTopic;
}

console.log(JSON.stringify({ webhook: webhook.id, event: eventId, deliveries: deliveries.data.length }));
