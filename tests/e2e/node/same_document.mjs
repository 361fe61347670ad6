// The JSON that hookd serves (build/openapi/hookd.json, from scripts/openapi_embed.py) must be
// the YAML document exactly as the OpenAPI tools read it (js-yaml's JSON schema with merge
// keys, as @redocly/cli reads it).
// Usage: node same_document.mjs openapi/hookd.yaml build/openapi/hookd.json
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';

const [yamlFile, jsonFile] = process.argv.slice(2);
const schema = yaml.JSON_SCHEMA.extend({ implicit: [yaml.types.merge] });
const fromYaml = yaml.load(readFileSync(yamlFile, 'utf8'), { schema });
const fromJson = JSON.parse(readFileSync(jsonFile, 'utf8'));
if (!isDeepStrictEqual(fromYaml, fromJson)) {
  console.error(`${jsonFile} is not ${yamlFile} as the OpenAPI tools read it`);
  process.exit(1);
}
console.log(`${jsonFile} is ${yamlFile}`);
