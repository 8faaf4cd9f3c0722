// Drives Hearth's FHIR API with a third-party FHIR client library
// (fhir-kit-client): reads a Patient, searches Observations by patient and
// date following the paging links, creates an Observation, corrects it
// with If-Match, and expects 412 for a stale If-Match. Usage:
//   node client.mjs <fhir base URL> <Cookie header> <patient id> <date>
// Exits 1, saying what went wrong, on any surprise.
import { Client } from 'fhir-kit-client';

const [base, cookie, patientId, since] = process.argv.slice(2);
const client = new Client({ baseUrl: base, customHeaders: { Cookie: cookie } });
const fail = (msg) => {
  console.log('FAIL: ' + msg);
  process.exit(1);
};

const patient = await client.read({ resourceType: 'Patient', id: patientId });
if (patient.resourceType !== 'Patient' || patient.id !== patientId) fail(`read Patient/${patientId} gave ${patient.resourceType}/${patient.id}`);
console.log(`read Patient/${patient.id}`);

let page = await client.search({ resourceType: 'Observation', searchParams: { patient: patientId, date: 'ge' + since, _count: 3 } });
const total = page.total;
let seen = 0;
let pages = 0;
while (page) {
  pages++;
  for (const e of page.entry ?? []) {
    seen++;
    const when = e.resource.effectiveDateTime;
    if (!when || when < since) fail(`search by date returned ${e.resource.id} at ${when}, before ${since}`);
    if (e.resource.subject?.reference !== 'Patient/' + patientId) fail(`search by patient returned ${e.resource.subject?.reference}`);
  }
  page = await client.nextPage({ bundle: page });
}
if (seen !== total || total < 4 || pages < 2) fail(`paged through ${seen} of ${total} observations in ${pages} pages`);
console.log(`searched Observation?patient&date=ge${since}: ${seen} of ${total} in ${pages} pages`);

const created = await client.create({
  resourceType: 'Observation',
  body: {
    resourceType: 'Observation', status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
    subject: { reference: 'Patient/' + patientId },
    effectiveDateTime: new Date(Date.parse(since) + 3600e3).toISOString(),
    valueQuantity: { value: 61.8, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
  },
});
if (created.resourceType !== 'Observation' || !created.id || created.meta?.versionId !== '1') fail(`create gave ${JSON.stringify(created).slice(0, 300)}`);
console.log(`created Observation/${created.id} version ${created.meta.versionId}`);

const reason = process.argv[6];
const corrected = { ...created, valueQuantity: { ...created.valueQuantity, value: 61.3 },
  extension: [{ url: reason, valueString: 'Scales were not zeroed' }] };
delete corrected.meta;
const updated = await client.update({ resourceType: 'Observation', id: created.id, body: corrected, options: { headers: { 'If-Match': 'W/"1"' } } });
if (updated.meta?.versionId !== '2' || updated.valueQuantity?.value !== 61.3) fail(`update gave ${JSON.stringify(updated).slice(0, 300)}`);
console.log(`updated Observation/${created.id} to version ${updated.meta.versionId}`);

try {
  await client.update({ resourceType: 'Observation', id: created.id, body: corrected, options: { headers: { 'If-Match': 'W/"1"' } } });
  fail('a stale If-Match was accepted');
} catch (err) {
  const status = err.response?.status;
  const oo = typeof err.response?.data === 'string' ? JSON.parse(err.response.data) : err.response?.data;
  if (status !== 412 || oo?.resourceType !== 'OperationOutcome') fail(`a stale If-Match gave ${status}: ${JSON.stringify(oo).slice(0, 300)}`);
  console.log(`a stale If-Match was refused: ${status} ${oo.issue[0].code}`);
}
console.log('client: all interactions as expected');
