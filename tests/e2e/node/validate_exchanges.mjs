// Holds every answer the end-to-end tests received from hookd, and every delivery their
// receivers got, against the OpenAPI document.
//
// Usage: node validate_exchanges.mjs --document build/openapi/hookd.json --dir DIR [--reset]
//
// DIR holds exchanges-<pid>.jsonl (tests/support/exchange_log.cpp: one line per request the
// C++ HTTP client sent) and deliveries-<pid>.jsonl (receiver.mjs: one line per request a test
// receiver got). --reset empties DIR and exits (the fixture's setup).
//
// An answer must have a status the document lists for its operation (a path the document does
// not list: components.responses.NotFound; a listed path with an unlisted method:
// MethodNotAllowed; OPTIONS: the preflight; and on any request the framing answers), every
// header that response marks required, each documented header valid and at most once, a
// Content-Type the response lists, and a body valid against its schema (JSON Schema 2020-12).
// A delivery must match the `webhooks` entry of its x-webhook-topic: its header parameters
// and its body. Exits 1 listing each mismatch.
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const dir = option('--dir');
if (!dir) {
  console.error('usage: validate_exchanges.mjs --document FILE --dir DIR [--reset]');
  process.exit(2);
}
if (args.includes('--reset')) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  process.exit(0);
}
const document = JSON.parse(readFileSync(option('--document'), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
ajv.addSchema(document, 'hookd');

const pointerPart = (s) => String(s).replaceAll('~', '~0').replaceAll('/', '~1');
const pointerOf = (parts) => '/' + parts.map(pointerPart).join('/');
const at = (pointer) =>
  pointer.split('/').slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, key) => node?.[key], document);

// A document object and its pointer, after following local $refs.
function deref(pointer) {
  let node = at(pointer);
  const seen = new Set();
  while (node && typeof node.$ref === 'string') {
    if (!node.$ref.startsWith('#/') || seen.has(node.$ref)) throw new Error(`bad $ref at ${pointer}`);
    seen.add(node.$ref);
    pointer = node.$ref.slice(1);
    node = at(pointer);
  }
  return { node, pointer };
}

const validators = new Map();
function validatorAt(pointer) {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: 'hookd#' + pointer }));
  return validators.get(pointer);
}
// Ajv's errors in words, array indexes folded ("/3/id" -> "/*/id") so that one drift in many
// answers is reported once.
const schemaErrors = (errors) =>
  [...new Set((errors ?? []).map((e) =>
    `${(e.instancePath || '(root)').replace(/\/\d+(?=\/|$)/g, '/*')} ${e.message}` +
    (e.params?.additionalProperty ? ` (${e.params.additionalProperty})` : '') +
    (e.params?.allowedValues ? ` (${JSON.stringify(e.params.allowedValues)})` : '')))].slice(0, 6).join('; ');

// --- Which responses an exchange may get ---------------------------------------------------

const methods = ['get', 'put', 'post', 'delete', 'head', 'patch', 'options'];
const paths = Object.keys(document.paths).map((template) => ({
  template,
  segments: template.split('/').slice(1),
}));

function segmentsOf(path) {
  const bare = path.split('?')[0].split('#')[0];
  if (!bare.startsWith('/')) return null;
  const segments = bare.split('/').slice(1).map((s) => {
    try { return decodeURIComponent(s); } catch { return s; }
  });
  // The router takes "/v2/webhooks/" for "/v2/webhooks".
  if (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
  return segments;
}

const isParameter = (s) => s.startsWith('{') && s.endsWith('}');

// As OpenAPI matches: a concrete segment before a templated one in its place
// ("/portal/session" before "/portal/{file}").
function matchPath(path) {
  const segments = segmentsOf(path);
  if (!segments) return null;
  const matches = paths.filter(({ segments: t }) => t.length === segments.length &&
    t.every((s, i) => (isParameter(s) ? segments[i] !== '' : s === segments[i])));
  const specificity = ({ segments: t }) => t.map((s) => (isParameter(s) ? '1' : '0')).join('');
  matches.sort((a, b) => specificity(a).localeCompare(specificity(b)));
  return matches[0];
}

// Answers the server gives before routing, on any request.
const framingResponses = {
  '400': '/components/responses/BadRequest',
  '414': '/components/responses/UriTooLong',
  '431': '/components/responses/HeaderFieldsTooLarge',
  '501': '/components/responses/NotImplemented',
  '503': '/components/responses/ServiceUnavailable',
};
const preflightPointer = (() => {
  const template = paths.find(({ template }) => document.paths[template].options).template;
  return pointerOf(['paths', template, 'options', 'responses']);
})();

// { name: 'GET /v2/webhooks', responses: { status: pointer } }
function expectedResponses(method, path) {
  const lower = method.toLowerCase();
  const match = matchPath(path);
  const table = (base) => Object.fromEntries(
    Object.keys(at(base)).map((status) => [status, `${base}/${pointerPart(status)}`]));
  if (lower === 'options') {
    if (match && document.paths[match.template].options) {
      return { name: `OPTIONS ${match.template}`,
               responses: table(pointerOf(['paths', match.template, 'options', 'responses'])) };
    }
    return { name: 'OPTIONS (any path)', responses: table(preflightPointer) };
  }
  if (!match) {
    return { name: `${method} (unlisted path)`,
             responses: { ...framingResponses, '404': '/components/responses/NotFound' } };
  }
  const item = document.paths[match.template];
  if (!methods.includes(lower) || !item[lower]) {
    return { name: `${method} ${match.template} (unlisted method)`,
             responses: { ...framingResponses, '405': '/components/responses/MethodNotAllowed' } };
  }
  return { name: `${method} ${match.template}`,
           responses: table(pointerOf(['paths', match.template, lower, 'responses'])) };
}

function responseFor(responses, status) {
  const code = String(status);
  return responses[code] ?? responses[`${code[0]}XX`] ?? responses.default;
}

// --- Checks --------------------------------------------------------------------------------

const essence = (contentType) => (contentType ?? '').split(';')[0].trim().toLowerCase();

function checkHeaders(headerDefs, basePointer, lookup, problems) {
  for (const name of Object.keys(headerDefs ?? {})) {
    if (name.toLowerCase() === 'content-type') continue;  // described by `content`
    const { node: header, pointer } = deref(`${basePointer}/${pointerPart(name)}`);
    const values = lookup(name);
    if (values.length === 0) {
      if (header.required) problems.push(`header ${name} is missing`);
      continue;
    }
    if (values.length > 1) problems.push(`header ${name} is sent ${values.length} times`);
    if (header.schema) {
      const validate = validatorAt(`${pointer}/schema`);
      if (!validate(values[0])) problems.push(`header ${name}: ${JSON.stringify(values[0])} ${schemaErrors(validate.errors)}`);
    }
  }
}

function checkBody(content, contentPointer, contentType, body, problems) {
  const type = essence(contentType);
  const media = Object.keys(content).find((m) => m.toLowerCase() === type);
  if (!media) {
    problems.push(`Content-Type ${JSON.stringify(contentType ?? null)} is not one of ${Object.keys(content).join(', ')}`);
    return;
  }
  let value = body;
  if (type === 'application/json' || type.endsWith('+json')) {
    try {
      value = JSON.parse(body);
    } catch (e) {
      problems.push(`body is not JSON (${e.message})`);
      return;
    }
  }
  if (!content[media].schema) return;
  const validate = validatorAt(`${contentPointer}/${pointerPart(media)}/schema`);
  if (!validate(value)) problems.push(`body ${schemaErrors(validate.errors)}`);
  if (value && typeof value === 'object' && 'errorCode' in value &&
      (value.message !== value.errorMessage || value.code !== value.errorCode)) {
    problems.push('error body: message must equal errorMessage and code errorCode');
  }
}

function checkExchange(x) {
  const problems = [];
  const { name, responses } = expectedResponses(x.method, x.path);
  const responsePointer = responseFor(responses, x.status);
  if (!responsePointer) {
    return { name, problems: [`status ${x.status} is not documented (documented: ${Object.keys(responses).join(', ')})`] };
  }
  const { node: response, pointer } = deref(responsePointer);
  const lookup = (header) => x.headers.filter(([n]) => n.toLowerCase() === header.toLowerCase()).map(([, v]) => v);
  checkHeaders(response.headers, `${pointer}/headers`, lookup, problems);
  if (x.method.toUpperCase() !== 'HEAD') {
    if (response.content) {
      if (x.body.length === 0) problems.push('body is empty, the document gives it content');
      else checkBody(response.content, `${pointer}/content`, lookup('content-type')[0], x.body, problems);
    } else if (x.body.length > 0) {
      problems.push('body where the document gives none');
    }
  }
  return { name, problems };
}

function checkDelivery(d) {
  const problems = [];
  const topic = d.headers['x-webhook-topic'];
  const operation = document.webhooks?.[topic]?.post;
  const name = `webhook ${topic ?? '(no x-webhook-topic)'}`;
  if (!operation) return { name, problems: [`no webhooks entry for x-webhook-topic ${JSON.stringify(topic)}`] };
  const base = pointerOf(['webhooks', topic, 'post']);
  if (d.method !== 'POST') problems.push(`method ${d.method}, the document says POST`);
  (operation.parameters ?? []).forEach((_, i) => {
    const { node: parameter, pointer } = deref(`${base}/parameters/${i}`);
    if (parameter.in !== 'header') return;
    const value = d.headers[parameter.name.toLowerCase()];
    if (value === undefined) {
      if (parameter.required) problems.push(`header ${parameter.name} is missing`);
      return;
    }
    const validate = validatorAt(`${pointer}/schema`);
    if (!validate(value)) problems.push(`header ${parameter.name}: ${JSON.stringify(value)} ${schemaErrors(validate.errors)}`);
  });
  const { node: body, pointer } = deref(`${base}/requestBody`);
  checkBody(body.content, `${pointer}/content`, d.headers['content-type'], d.body, problems);
  return { name, problems };
}

// --- Run -----------------------------------------------------------------------------------

function readLines(prefix) {
  const out = [];
  for (const file of readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.jsonl')).sort()) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      if (line.trim() !== '') out.push(JSON.parse(line));
    }
  }
  return out;
}

const failures = new Map();  // "name -> status: problem" -> { count, example }
const counts = new Map();
function record(name, status, problems, example) {
  counts.set(name, (counts.get(name) ?? 0) + 1);
  for (const problem of problems) {
    const key = `${name} -> ${status}: ${problem}`;
    const entry = failures.get(key) ?? { count: 0, example };
    entry.count += 1;
    failures.set(key, entry);
  }
}

const exchanges = readLines('exchanges-');
for (const x of exchanges) {
  const { name, problems } = checkExchange(x);
  record(name, x.status, problems, `${x.method} ${x.path} ${x.body.slice(0, 240)}`);
}
const deliveries = readLines('deliveries-');
for (const d of deliveries) {
  const { name, problems } = checkDelivery(d);
  record(name, 'delivery', problems, `POST ${d.path} ${d.body.slice(0, 240)}`);
}

const documented = [];
for (const [template, item] of Object.entries(document.paths)) {
  for (const m of methods) if (item[m]) documented.push(`${m.toUpperCase()} ${template}`);
}
const unexercised = documented.filter((op) => !counts.has(op));
console.log(`validated ${exchanges.length} answers and ${deliveries.length} deliveries against the OpenAPI document`);
console.log(`operations seen: ${documented.length - unexercised.length} of ${documented.length}` +
  (unexercised.length ? ` (not seen: ${unexercised.join(', ')})` : ''));
if (failures.size > 0) {
  for (const [key, { count, example }] of [...failures].slice(0, 200)) {
    console.log(`MISMATCH ${key}\n  ${count}x, e.g. ${example}`);
  }
  console.log(`${failures.size} kinds of mismatch`);
  process.exit(1);
}
