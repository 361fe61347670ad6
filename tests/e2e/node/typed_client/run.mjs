// Generates a typed client from the OpenAPI document a running hookd serves, type-checks a
// small integration against it, and runs that integration against the server.
//
// Usage: node run.mjs --url http://127.0.0.1:PORT --platform-token TOKEN --out DIR
//
// 1. openapi-typescript turns GET <url>/openapi.json into DIR/hookd-api.d.ts;
// 2. tsc compiles integration.ts against it (a type error fails here: the document and the
//    integration drifted apart);
// 3. the compiled integration drives hookd through openapi-fetch and prints what it did.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const args = process.argv.slice(2);
const option = (name) => args[args.indexOf(name) + 1];
const url = option('--url');
const out = option('--out');
const here = dirname(fileURLToPath(import.meta.url));
const nodeModules = join(here, '..', 'node_modules');

mkdirSync(out, { recursive: true });
const ast = await openapiTS(new URL(`${url}/openapi.json`));
writeFileSync(join(out, 'hookd-api.d.ts'), astToString(ast));
// The compiled integration imports openapi-fetch from beside it.
if (!existsSync(join(out, 'node_modules'))) symlinkSync(nodeModules, join(out, 'node_modules'), 'dir');
writeFileSync(join(out, 'package.json'), JSON.stringify({ type: 'module' }));
writeFileSync(join(out, 'tsconfig.json'), JSON.stringify({
  compilerOptions: {
    target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true,
    noEmitOnError: true, skipLibCheck: true, outDir: '.', rootDir: here, baseUrl: '.',
    paths: { 'hookd-api': ['./hookd-api.d.ts'] }, typeRoots: [join(nodeModules, '@types')], types: ['node'],
    lib: ['ES2022', 'DOM'],
  },
  files: [join(here, 'integration.ts')],
}));
try {
  execFileSync(join(nodeModules, '.bin', 'tsc'), ['-p', join(out, 'tsconfig.json')], { stdio: 'pipe' });
} catch (e) {
  console.error('tsc: the integration does not type-check against the generated client:\n' +
    e.stdout.toString() + e.stderr.toString());
  process.exit(1);
}
execFileSync(process.execPath, [join(out, 'integration.js'), url, option('--platform-token')],
             { stdio: 'inherit' });
