// An HTTPS webhook receiver for hookd's end-to-end tests.
// Usage: node receiver.mjs CERT KEY [--http2]
// With --http2 it offers HTTP/2 by ALPN (and still answers HTTP/1.1).
// Writes one JSON line to stderr when listening ({"listening": port}) and one per request
// received ({"received": {...}}, with the HTTP version, the client's port, which tells
// connections apart, and whether the connection resumed a TLS session). With HOOKD_TEST_EXCHANGE_DIR set, each request received is appended to
// deliveries-<pid>.jsonl there too, for validate_exchanges.mjs. The path chooses the answer:
//   /ok/...                        200
//   /fail/N/...                    500 for the first N requests to that path, then 200
//   /status/CODE/...               CODE every time (302 and 301 carry Location: /ok/redirected)
//   /retry-after/SECONDS/N/...     429 with Retry-After for the first N, then 200
//   /hang/...                      never answers
//   /slow/MS/...                   200 after MS milliseconds
//   /then-close/...                200 on a kept-alive connection, which it then closes
//   /then-end/...                  the same, ending it with a close_notify first
//   /close/...                     200 with Connection: close, the connection ending with it
//   /drop/...                      no answer: the connection is ended (close_notify, then FIN)
//   /big/BYTES/...                 200 with a body of BYTES x's
//   /big-header/BYTES/...          200 with a header x-big of BYTES x's
//   /script/...                    500 with an HTML body holding a <script>, every time
import { appendFileSync, readFileSync } from 'node:fs';
import { createSecureServer } from 'node:http2';
import { createServer } from 'node:https';

const [cert, key, mode] = process.argv.slice(2);
const counts = new Map();
const exchangeDir = process.env.HOOKD_TEST_EXCHANGE_DIR;
const deliveryLog = exchangeDir ? `${exchangeDir}/deliveries-${process.pid}.jsonl` : null;

function emit(obj) {
  process.stderr.write(JSON.stringify(obj) + '\n');
}

const tls = { cert: readFileSync(cert), key: readFileSync(key) };
// HTTP/1.1's socket is the TLS socket; HTTP/2's compatibility API wraps it in a proxy.
const resumed = (req) => {
  try {
    return req.socket.isSessionReused();
  } catch {
    return false;
  }
};
const handle = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const seen = (counts.get(req.url) ?? 0) + 1;
    counts.set(req.url, seen);
    emit({ received: { t: performance.timeOrigin + performance.now(), method: req.method,
                       path: req.url, headers: req.headers, body, n: seen,
                       version: req.httpVersion, peer: req.socket.remotePort,
                       resumed: resumed(req) } });
    if (deliveryLog) {
      appendFileSync(deliveryLog, JSON.stringify({ method: req.method, path: req.url,
                                                   headers: req.headers, body }) + '\n');
    }
    const parts = req.url.split('/').filter((p) => p.length > 0);
    const answer = (status, headers = {}, text = 'ok') => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(text);
    };
    switch (parts[0]) {
      case 'fail':
        return seen <= Number(parts[1]) ? answer(500, {}, 'failing on purpose') : answer(200);
      case 'status': {
        const code = Number(parts[1]);
        const location = code >= 300 && code < 400 ? { location: '/ok/redirected' } : {};
        return answer(code, location, 'status ' + code);
      }
      case 'retry-after':
        return seen <= Number(parts[2]) ? answer(429, { 'retry-after': parts[1] }, 'slow down')
                                        : answer(200);
      case 'hang':
        return;  // hookd's timeout ends it
      case 'slow':
        return setTimeout(() => answer(200), Number(parts[1]));
      case 'script':
        return answer(500, { 'content-type': 'text/html' },
                      '<script>window.hookdAnswerRan = true</script><b>failing</b>');
      case 'big-header':
        return answer(200, { 'x-big': 'x'.repeat(Number(parts[1])) });
      case 'big':
        return answer(200, {}, 'x'.repeat(Number(parts[1])));
      case 'drop':
        return req.socket.end();
      case 'close':
        return answer(200, { connection: 'close' });
      case 'then-end':
        res.on('finish', () => setTimeout(() => req.socket.end(), 20));
        return answer(200);
      case 'then-close':
        res.on('finish', () => setTimeout(() => req.socket.destroy(), 20));
        return answer(200);
      default:
        return answer(200);
    }
  });
};
const server = mode === '--http2' ? createSecureServer({ ...tls, allowHTTP1: true }, handle)
                                  : createServer(tls, handle);
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => emit({ listening: server.address().port }));
process.on('SIGTERM', () => process.exit(0));
