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

// OpenAPI 3.1 lets a License object have a name only, but the 3.1 schema that swagger-parser
// bundles requires `identifier` or `url` (OAI/OpenAPI-Specification#2975, fixed in later
// schema releases). Check such a document as if it had an identifier, and say so.
const checked = structuredClone(document);
const license = checked?.info?.license;
if (
  /^3\.1\./.test(String(checked?.openapi)) &&
  typeof license?.name === 'string' &&
  license.identifier === undefined &&
  license.url === undefined
) {
  license.identifier = license.name;
  console.log(
    'note: info.license has a name only, which OpenAPI 3.1 allows but the bundled schema does not ' +
      '(OAI/OpenAPI-Specification#2975); an SPDX `identifier` would help clients',
  );
}

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
