// The portal's API calls held against the OpenAPI document, with the portal left as it ships
// (plain ES modules, types in JSDoc comments): openapi-typescript turns openapi/hookd.yaml into
// OUT/hookd-api.d.ts, and tsc (strict, --checkJs) type-checks portal/*.js against it. A call
// whose path, method, path parameters, query or body the document does not have fails.
//
// Usage: node client_types.mjs --out DIR           type-check the portal
//        node client_types.mjs --out DIR --drift   type-check copies changed to drift from the
//                                                  document, each of which must fail
// The tools come from tests/e2e/node (`make node-deps`).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bin = join(root, 'tests', 'e2e', 'node', 'node_modules', '.bin');
const args = process.argv.slice(2);
const out = resolve(args[args.indexOf('--out') + 1]);
const portalDir = join(root, 'portal');
const documentPath = join(root, 'openapi', 'hookd.yaml');

// OUT/hookd-api.d.ts from the document.
function generate(document, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync(join(bin, 'openapi-typescript'), [document, '-o', join(dir, 'hookd-api.d.ts')], { stdio: 'pipe' });
}

// tsc over the portal's modules in `dir` with `dir`/hookd-api.d.ts as 'hookd-api', strict: api.js
// alone fully so, and then every module, with parameters the pages leave untyped taken as any
// (their DOM helpers carry no JSDoc). Its verdict and what it printed.
function typecheck(dir, files, { apiOnly = false } = {}) {
  const options = {
    allowJs: true, checkJs: true, noEmit: true, strict: true, skipLibCheck: true,
    target: 'ES2022', module: 'ES2022', moduleResolution: 'bundler',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'], types: [],
    paths: { 'hookd-api': [join(dir, 'hookd-api.d.ts')] },
  };
  const runs = [
    { name: 'tsconfig.api.json', compilerOptions: options, files: files.filter((f) => f.endsWith('/api.js')) },
    { name: 'tsconfig.json', compilerOptions: { ...options, noImplicitAny: false }, files },
  ];
  let ok = true;
  let output = '';
  for (const { name, ...config } of apiOnly ? runs.slice(0, 1) : runs) {
    writeFileSync(join(dir, name), JSON.stringify(config, null, 2));
    try {
      execFileSync(join(bin, 'tsc'), ['-p', join(dir, name)], { stdio: 'pipe' });
    } catch (e) {
      ok = false;
      output += `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
  }
  return { ok, output };
}

const portalFiles = readdirSync(portalDir).filter((f) => f.endsWith('.js')).sort();

if (!args.includes('--drift')) {
  generate(documentPath, out);
  const result = typecheck(out, portalFiles.map((f) => join(portalDir, f)));
  if (!result.ok) {
    console.error(`The portal's calls do not match openapi/hookd.yaml (tsc):\n${result.output}`);
    process.exit(1);
  }
  console.log(`type-checked ${portalFiles.length} portal modules against openapi/hookd.yaml`);
  process.exit(0);
}

// Each drift: one change to a copy of api.js or of the document. tsc must refuse each copy in
// api.js, and accept the copy with no change, so the refusals come from the changes alone.
// api.js holds every call, so its strict run alone is enough here.
const drifts = [
  { what: 'a path the document does not have', file: 'api.js',
    from: "'/v2/webhooks/{id}/rotate-secret'", to: "'/v2/webhooks/{id}/rotate'" },
  { what: 'a method the path does not have', file: 'api.js',
    from: "call('POST', '/v2/webhooks/{id}/test'", to: "call('PUT', '/v2/webhooks/{id}/test'" },
  { what: 'a body field the operation does not take', file: 'api.js',
    from: 'body: { since }', to: 'body: { from: since }' },
  { what: 'a query parameter the operation does not take', file: 'api.js',
    from: 'query: { status, offset, size }', to: 'query: { state: status, offset, size }' },
  { what: 'a path parameter missing', file: 'api.js',
    from: '{ path: { id, deliveryId } }),\n', to: '{ path: { id } }),\n' },
  { what: 'a path renamed in the document', file: 'hookd.yaml',
    from: '  /v2/webhooks/{id}/recover:\n', to: '  /v2/webhooks/{id}/recovery:\n' },
];
let failed = 0;
const variants = [{ what: 'no change' }, ...drifts];
for (const [i, drift] of variants.entries()) {
  const dir = join(out, `drift-${i}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of portalFiles) copyFileSync(join(portalDir, f), join(dir, f));
  copyFileSync(documentPath, join(dir, 'hookd.yaml'));
  if (drift.file) {
    const path = join(dir, drift.file);
    const text = readFileSync(path, 'utf8');
    if (!text.includes(drift.from)) {
      console.error(`${drift.what}: ${drift.file} no longer holds ${JSON.stringify(drift.from)}; update this test`);
      failed += 1;
      continue;
    }
    writeFileSync(path, text.replace(drift.from, drift.to));
  }
  // The types of the unchanged document are made once, for every change to api.js.
  if (drift.file === 'hookd.yaml' || i === 0) generate(join(dir, 'hookd.yaml'), dir);
  else copyFileSync(join(out, 'drift-0', 'hookd-api.d.ts'), join(dir, 'hookd-api.d.ts'));
  const result = typecheck(dir, portalFiles.map((f) => join(dir, f)), { apiOnly: true });
  const refusal = result.output.match(/api\.js\(\d+,\d+\): error TS\d+: [^\n]*/);
  const expected = drift.file ? !result.ok && refusal !== null : result.ok;
  console.log(`${expected ? 'ok' : 'FAILED'}: ${drift.what}: tsc ${result.ok ? 'accepts it' : 'refuses it'}` +
              (refusal ? `\n    ${refusal[0].slice(0, 200)}` : ''));
  if (!expected) {
    console.log(result.output);
    failed += 1;
  }
}
console.log(`${variants.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
