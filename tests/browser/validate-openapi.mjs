// Fetches Hearth's OpenAPI document from BASE_URL and validates it against the OpenAPI
// schema (structure, $refs, duplicate operation ids and parameters). Exits non-zero with the
// errors when it is invalid.
//
//   BASE_URL=http://127.0.0.1:8080 node validate-openapi.mjs

import SwaggerParser from '@apidevtools/swagger-parser';

const base = process.env.BASE_URL;
if (!base) {
  console.error('Set BASE_URL to the Hearth server, e.g. BASE_URL=http://127.0.0.1:8080');
  process.exit(2);
}
const url = new URL('/api/v1/openapi.json', base).toString();

let document;
try {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) {
    console.error(`GET ${url}: HTTP ${response.status}`);
    process.exit(1);
  }
  document = await response.json();
} catch (err) {
  console.error(`GET ${url} failed: ${err.message}`);
  process.exit(1);
}

const checked = structuredClone(document);

try {
  // validate() dereferences the document it is given: `checked` is a copy.
  const api = await SwaggerParser.validate(checked);
  const operations = Object.values(api.paths ?? {}).flatMap((item) =>
    Object.keys(item).filter((k) => ['get', 'put', 'post', 'delete', 'patch'].includes(k)),
  );
  if (operations.length === 0) {
    console.error(`${url} is valid OpenAPI but describes no operations`);
    process.exit(1);
  }
  console.log(
    `${url}: valid OpenAPI ${api.openapi} document "${api.info.title}" ${api.info.version}, ` +
      `${Object.keys(api.paths).length} paths, ${operations.length} operations`,
  );
} catch (err) {
  console.error(`${url} is not a valid OpenAPI document:`);
  const details = err.details ?? err.errors;
  if (Array.isArray(details) && details.length > 0) {
    for (const detail of details) {
      const where = detail.instancePath ?? detail.path?.join('/') ?? '';
      console.error(`  - ${where || '(root)'}: ${detail.message}`);
    }
  } else {
    console.error(`  ${err.message}`);
  }
  process.exit(1);
}
