// What every portal test needs: a real hookd on a fresh SQLite file, a real HTTPS receiver it
// trusts, Debian's chromium driven by playwright-core, and the checks every page must pass
// (no console error, no request outside hookd, no serious accessibility violation).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const HOOKD = process.env.HOOKD_BINARY || join(here, '../../build/hookd');
const RECEIVER = join(here, '../e2e/node/receiver.mjs');
export const SCREENSHOTS = process.env.HOOKD_PORTAL_SCREENSHOTS || join(here, '../../build/portal-screenshots');
const CHROMIUM = process.env.HOOKD_CHROMIUM || '/usr/bin/chromium';

// Polls `check` until it returns a truthy value or the deadline passes (no fixed sleeps).
export async function eventually(check, { timeout = 15000, interval = 50, what = 'condition' } = {}) {
  const until = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

// Resolves with the first stderr JSON line of `child` that `match` accepts.
function waitForLine(child, match, what) {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${what}: no start within 20 s\n${buffered}`)), 20000);
    const onData = (chunk) => {
      buffered += chunk;
      for (const line of buffered.split('\n')) {
        try {
          const value = match(JSON.parse(line));
          if (value !== undefined) {
            clearTimeout(timer);
            child.stderr.off('data', onData);
            resolve(value);
            return;
          }
        } catch {
          // Not a whole JSON line yet.
        }
      }
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${what} exited with ${code}\n${buffered}`)));
  });
}

function makeCertificates(dir) {
  const openssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  const key = join(dir, 'server-key.pem');
  const csr = join(dir, 'server.csr');
  const leaf = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', caKey, '-out', ca, '-days', '2', '-subj', '/CN=hookd portal test CA');
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
  openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', leaf,
          '-extfile', ext, '-days', '2');
  const chain = join(dir, 'server-chain.pem');
  writeFileSync(chain, readFileSync(leaf, 'utf8') + readFileSync(ca, 'utf8'));
  return { ca, chain, key };
}

// A receiver that records what reached it.
async function startReceiver(certs) {
  const child = spawn(process.execPath, [RECEIVER, certs.chain, certs.key], { stdio: ['ignore', 'ignore', 'pipe'] });
  const received = [];
  const port = await waitForLine(child, (o) => o.listening, 'receiver');
  child.stderr.on('data', (chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (!line.trim()) continue;
      try {
        const o = JSON.parse(line);
        if (o.received) received.push(o.received);
      } catch {
        // A line split across chunks is rare with these small lines; it is skipped.
      }
    }
  });
  return { child, port, received, url: (path) => `https://127.0.0.1:${port}${path}` };
}

export async function startWorld() {
  const dir = mkdtempSync(join(tmpdir(), 'hookd-portal-'));
  const certs = makeCertificates(dir);
  const receiver = await startReceiver(certs);
  const database = `sqlite://${join(dir, 'hookd.db')}`;
  const config = join(dir, 'hookd.toml');
  writeFileSync(config, [
    '[delivery]',
    'retry_schedule = ["100ms", "100ms"]',
    'timeout = "2s"',
    'connect_timeout = "1s"',
    'allow_targets = ["127.0.0.0/8"]',
    `ca_file = "${certs.ca}"`,
    '',
  ].join('\n'));
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HOOKD_')));
  execFileSync(HOOKD, ['migrate', '--database', database], { env, stdio: 'pipe' });
  const platformToken = execFileSync(HOOKD, ['token', 'create', '--role', 'platform', '--database', database],
                                     { env, encoding: 'utf8' }).trim();
  const hookd = spawn(HOOKD, ['serve', '--config', config, '--listen', '127.0.0.1:0', '--database', database],
                      { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await waitForLine(hookd, (o) => (o.msg === 'listening' ? o.port : undefined), 'hookd');
  hookd.stderr.resume();
  const base = `http://127.0.0.1:${port}`;

  async function api(method, path, body, token = platformToken) {
    const response = await fetch(base + path, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }
  async function ok(method, path, body, token) {
    const r = await api(method, path, body, token);
    assert.ok(r.status >= 200 && r.status < 300, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  // The seed's tenants: organization 6 with devices 85, 86, organization 7 with device 89.
  for (const org of [6, 7]) await ok('PUT', `/v2/platform/organizations/${org}`, { name: `org ${org}` });
  for (const [device, org] of [[85, 6], [86, 6], [89, 7]]) {
    await ok('PUT', `/v2/platform/devices/${device}`, { organizationId: org, name: 'lock' });
  }
  const token = async (role, organizationId) =>
    (await ok('POST', '/v2/platform/tokens', { role, organizationId })).token;
  const session = (organizationId, role, ttl) =>
    ok('POST', '/v2/platform/portal-sessions', { organizationId, role, ...(ttl ? { ttl } : {}) });

  const root = process.getuid && process.getuid() === 0;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: root ? ['--no-sandbox'] : [],
  });

  return {
    base, api, ok, token, session, receiver, browser, dir,
    databasePath: join(dir, 'hookd.db'),
    async stop() {
      await browser.close().catch(() => {});
      hookd.kill('SIGTERM');
      receiver.child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// A page whose every console error, page error and request is watched. `expectedStatuses`:
// answers the test provokes on purpose (a 400 of a validation error), which Chromium reports
// as "Failed to load resource" on the console.
export async function openPage(world, { width = 1280, height = 900, colorScheme = 'light' } = {}) {
  const context = await world.browser.newContext({ viewport: { width, height }, colorScheme });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: world.base });
  const page = await context.newPage();
  const problems = [];
  const outside = [];
  const failedAnswers = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${world.base}/`) && !url.startsWith('data:')) outside.push(url);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) failedAnswers.push(response.status());
  });
  return {
    page,
    context,
    // Every console error must be Chromium's note of an API answer the test provoked.
    assertClean(expectedStatuses = []) {
      const unexpected = problems.filter((p) => {
        const m = p.match(/Failed to load resource: the server responded with a status of (\d+)/);
        return !(m && expectedStatuses.includes(Number(m[1])) && failedAnswers.includes(Number(m[1])));
      });
      assert.deepEqual(unexpected, [], 'the page logged errors');
      assert.deepEqual(outside, [], 'the page made requests outside hookd');
    },
    close: () => context.close(),
  };
}

// axe-core in the page itself. The page's policy refuses inline scripts (page.addScriptTag with
// content is blocked: portal_access.test.mjs checks that), so its source is evaluated through
// the browser's debugging channel, which the policy does not govern.
export async function assertAccessible(page, name) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${name}: serious or critical accessibility violations`);
}

// Screenshots of a page at a desktop width and at 360 px, in light colours.
export async function screenshot(page, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const viewport = page.viewportSize();
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize({ width: 360, height: 740 });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-360.png`), fullPage: true });
  await page.setViewportSize(viewport);
}
