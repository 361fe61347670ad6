// The recording HTTPS receiver of bench/delivery_run.sh's latency run (after
// tests/e2e/node/receiver.mjs). Usage: node latency_receiver.mjs CERT KEY
//
// Answers every POST 200 at once and keeps, for each webhook-id, the time its first request
// arrived (epoch milliseconds with a fraction: performance.timeOrigin + performance.now(), the
// same clock bench/loadgen.mjs schedules with). Writes {"listening": port} on stderr.
//   GET /__stats     {"requests": n, "unique": n, "duplicates": n, "withoutId": n}
//   GET /__receipts  {"<webhook-id>": time, ...}
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [cert, key] = process.argv.slice(2);
if (!cert || !key) {
  process.stderr.write('usage: node latency_receiver.mjs CERT KEY\n');
  process.exit(2);
}

const now = () => performance.timeOrigin + performance.now();
const receipts = new Map();
let requests = 0;
let duplicates = 0;
let withoutId = 0;

const server = createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const t = now();  // headers parsed: the delivery has arrived
  if (req.method === 'GET' && req.url === '/__stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ requests, unique: receipts.size, duplicates, withoutId }));
  }
  if (req.method === 'GET' && req.url === '/__receipts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(Object.fromEntries(receipts)));
  }
  requests++;
  const id = req.headers['webhook-id'];
  if (!id) {
    withoutId++;
  } else if (receipts.has(id)) {
    duplicates++;
  } else {
    receipts.set(id, t);
  }
  req.resume();  // the body is not needed; read it so the connection can be reused
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => {
  process.stderr.write(JSON.stringify({ listening: server.address().port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
