// Verifies deliveries with the unmodified npm packages `standardwebhooks` and `svix`.
// Reads JSON lines {secret, id, timestamp, signature, body} on stdin; writes one JSON line
// {standardwebhooks: bool, svix: bool, error?: string} per input line.
import { createInterface } from 'node:readline';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const d = JSON.parse(line);
  const out = { standardwebhooks: false, svix: false };
  try {
    new StandardWebhook(d.secret).verify(d.body, {
      'webhook-id': d.id, 'webhook-timestamp': d.timestamp, 'webhook-signature': d.signature });
    out.standardwebhooks = true;
  } catch (e) {
    out.error = 'standardwebhooks: ' + e.message;
  }
  try {
    new SvixWebhook(d.secret).verify(d.body, {
      'svix-id': d.id, 'svix-timestamp': d.timestamp, 'svix-signature': d.signature });
    out.svix = true;
  } catch (e) {
    out.error = (out.error ? out.error + '; ' : '') + 'svix: ' + e.message;
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
