// Open-loop load generator of bench/delivery_run.sh: ingest -> receipt latency at a fixed rate.
//
//   node bench/loadgen.mjs --hookd http://127.0.0.1:PORT --token PLATFORM_TOKEN \
//     --receiver https://127.0.0.1:RPORT --ca ca.pem [--rate 1000] [--duration 20] \
//     [--warmup 2] [--device 85] [--topic DeviceStatusEvents] [--sockets 32] [--drain 10] \
//     [--json out.json]
//
// Event i of the measured run is scheduled at t0 + i/rate and sent as one event per
// POST /v2/platform/events over a keep-alive agent (at most --sockets connections). Its latency
// is the time the receiver first saw its webhook-id minus that scheduled time: when sending
// falls behind (a full agent, a busy event loop), the lag counts against hookd's figures
// rather than hiding, and the send lag is reported on its own. Warm-up events (the --warmup
// seconds before t0, at the same rate) are excluded from every figure.
//
// After the last answer it polls the receiver until every published event has arrived or
// --drain seconds have passed, then reports p50/p90/p99/max over all published events (an event
// that never arrived counts as infinitely late) and the reconciliation
// published (202) = received + missing, with refused requests (non-202, errors) apart.
// Exit status 0 when the run could be measured, 1 otherwise.
import http from 'node:http';
import https from 'node:https';
import { readFileSync, writeFileSync } from 'node:fs';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    out[a.slice(2)] = argv[++i];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
for (const required of ['hookd', 'token', 'receiver', 'ca']) {
  if (!args[required]) {
    process.stderr.write(`loadgen: --${required} is required\n`);
    process.exit(2);
  }
}
const rate = Number(args.rate ?? 1000);
const duration = Number(args.duration ?? 20);
const warmup = Number(args.warmup ?? 2);
const sockets = Number(args.sockets ?? 32);
const drain = Number(args.drain ?? 10);
const device = Number(args.device ?? 85);
const topic = args.topic ?? 'DeviceStatusEvents';
const hookd = new URL(args.hookd);
const receiver = new URL(args.receiver);
const ca = readFileSync(args.ca);

const now = () => performance.timeOrigin + performance.now();
const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
const body = JSON.stringify({
  deviceId: device,
  topic,
  type: 'DeviceStatusUpdate',
  data: { battery: 87, locked: true, firmware: '2.4.1', rssi: -61 },
});

const warmupCount = Math.round(rate * warmup);
const count = Math.round(rate * duration);
const total = warmupCount + count;
const scheduled = new Float64Array(total);  // epoch ms
const sentAt = new Float64Array(total);
const answeredAt = new Float64Array(total);
const ids = new Array(total);
const statuses = new Map();  // non-202 status -> count
const errors = new Map();    // network error code -> count
let answered = 0;

function send(i) {
  sentAt[i] = now();
  const req = http.request(
    {
      agent,
      host: hookd.hostname,
      port: hookd.port,
      method: 'POST',
      path: '/v2/platform/events',
      headers: {
        authorization: `Bearer ${args.token}`,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      },
    },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        answeredAt[i] = now();
        if (res.statusCode === 202) {
          try {
            ids[i] = JSON.parse(Buffer.concat(chunks).toString('utf8')).events[0].id;
          } catch {
            statuses.set('202 without an id', (statuses.get('202 without an id') ?? 0) + 1);
          }
        } else {
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }
        done();
      });
    },
  );
  req.on('error', (e) => {
    errors.set(e.code ?? e.message, (errors.get(e.code ?? e.message) ?? 0) + 1);
    done();
  });
  req.end(body);
}

let finish;
const allAnswered = new Promise((resolve) => { finish = resolve; });
function done() {
  if (++answered === total) finish();
}

// Open loop: everything whose time has come is sent, however late; then sleep to the next.
const start = now() + 200;
const t0 = start + warmupCount * 1000 / rate;  // the first measured event
for (let i = 0; i < total; i++) scheduled[i] = start + i * 1000 / rate;
let next = 0;
function pump() {
  const t = now();
  while (next < total && scheduled[next] <= t) send(next++);
  if (next < total) setTimeout(pump, Math.max(0, scheduled[next] - now()));
}
setTimeout(pump, Math.max(0, start - now()));
await allAnswered;
const lastAnswer = now();

function getJson(path) {
  return new Promise((resolve, reject) => {
    https
      .get({ host: receiver.hostname, port: receiver.port, path, ca }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
          } catch (e) {
            reject(e);
          }
        });
      })
      .on('error', reject);
  });
}

const published = [];  // indexes of measured events answered 202 with an id
for (let i = warmupCount; i < total; i++) if (ids[i]) published.push(i);
const warmupIds = new Set(ids.slice(0, warmupCount).filter(Boolean));

// Wait for the receiver to have every published event (or the drain time to pass).
let stats;
const drainUntil = lastAnswer + drain * 1000;
for (;;) {
  stats = await getJson('/__stats');
  if (stats.unique >= published.length + warmupIds.size || now() >= drainUntil) break;
  await new Promise((r) => setTimeout(r, 250));
}
const drainedAfter = (now() - lastAnswer) / 1000;
const receipts = await getJson('/__receipts');

const latencies = [];     // receipt - scheduled, ms; Infinity when missing
const sendLag = [];       // actual send - scheduled
const ingestLatency = []; // 202 answer - scheduled
let received = 0;
for (const i of published) {
  const r = receipts[ids[i]];
  if (r !== undefined) {
    received++;
    latencies.push(r - scheduled[i]);
  } else {
    latencies.push(Infinity);
  }
}
for (let i = warmupCount; i < total; i++) {
  sendLag.push(sentAt[i] - scheduled[i]);
  ingestLatency.push(answeredAt[i] - scheduled[i]);
}
const publishedIds = new Set(published.map((i) => ids[i]));
let unexpected = 0;
for (const id of Object.keys(receipts)) if (!publishedIds.has(id) && !warmupIds.has(id)) unexpected++;

function percentiles(values) {
  const s = Float64Array.from(values).sort();
  const at = (p) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s.length ? s[s.length - 1] : NaN };
}

const refused = [...statuses.values()].reduce((a, b) => a + b, 0);
const failed = [...errors.values()].reduce((a, b) => a + b, 0);
const measuredSends = count;
const offeredSeconds = count / rate;
const result = {
  rate,
  duration,
  warmup,
  sockets,
  sent: measuredSends,
  published: published.length,
  received,
  missing: published.length - received,
  refused: Object.fromEntries(statuses),
  refusedTotal: refused,
  errors: Object.fromEntries(errors),
  errorsTotal: failed,
  duplicates: stats.duplicates,
  unexpected,
  // Every request is accounted for; `missing` is what hookd accepted and did not deliver.
  reconciled: measuredSends === published.length + refused + failed,
  drainedAfterSeconds: drainedAfter,
  achievedSendRate: count / ((sentAt[total - 1] - sentAt[warmupCount]) / 1000 || offeredSeconds),
  latencyMs: percentiles(latencies),
  sendLagMs: percentiles(sendLag),
  ingestLatencyMs: percentiles(ingestLatency),
  t0: t0,
};

const f = (v) => (Number.isFinite(v) ? v.toFixed(2) : String(v));
const line = (name, p) => `${name}: p50 ${f(p.p50)} ms, p90 ${f(p.p90)} ms, p99 ${f(p.p99)} ms, max ${f(p.max)} ms`;
process.stdout.write(
  [
    `offered ${rate} events/s for ${duration} s after a ${warmup} s warm-up (${sockets} sockets); sent at ${result.achievedSendRate.toFixed(0)}/s`,
    line('ingest -> receipt (from the scheduled send time)', result.latencyMs),
    line('ingest answer (202) (from the scheduled send time)', result.ingestLatencyMs),
    line('send lag of the load generator', result.sendLagMs),
    `sent ${measuredSends} = published ${result.published} + refused ${refused} + errors ${failed}`,
    `published ${result.published} = received ${received} + missing ${result.missing}` +
      ` (duplicates ${stats.duplicates}, unexpected ${unexpected}; waited ${drainedAfter.toFixed(1)} s after the last answer)`,
  ].join('\n') + '\n',
);
if (args.json) writeFileSync(args.json, JSON.stringify(result, null, 2) + '\n');
agent.destroy();
process.exit(published.length > 0 ? 0 : 1);
