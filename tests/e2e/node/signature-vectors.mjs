// openapi/signature-vectors.json against the unmodified npm packages `standardwebhooks` and
// `svix`, their clock set to the file's `now`. Exits 1 when any verdict differs from `valid`.
//   node signature-vectors.mjs [path/to/signature-vectors.json]
import { readFileSync } from 'node:fs';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';

const path = process.argv[2] ?? new URL('../../../openapi/signature-vectors.json', import.meta.url);
const file = JSON.parse(readFileSync(path, 'utf8'));
// Both libraries judge the timestamp against Date.now() with a five-minute window.
if (file.toleranceSeconds !== 300) throw new Error('the libraries allow 300 s, the file ' + file.toleranceSeconds);
Date.now = () => file.now * 1000;

const verifiers = {
  standardwebhooks: (v) => new StandardWebhook(v.secret).verify(v.body, {
    'webhook-id': v.id, 'webhook-timestamp': v.timestamp, 'webhook-signature': v.signature }),
  svix: (v) => new SvixWebhook(v.secret).verify(v.body, {
    'svix-id': v.id, 'svix-timestamp': v.timestamp, 'svix-signature': v.signature }),
};

let failures = 0;
for (const v of file.vectors) {
  for (const [name, verify] of Object.entries(verifiers)) {
    let valid = true, why = '';
    try {
      verify(v);
    } catch (e) {
      valid = false;
      why = e.message;
    }
    const ok = valid === v.valid;
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: ${v.name}: ${valid ? 'valid' : 'invalid (' + why + ')'}`);
  }
}
console.log(`${file.vectors.length} vectors, ${failures} verdicts differ from the file`);
process.exit(failures === 0 ? 0 : 1);
