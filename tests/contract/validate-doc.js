"use strict";
/*
 * Usage: node validate-doc.js OPENAPI.yaml
 * Checks an OpenAPI 3.0 document with a standard validator
 * (@apidevtools/swagger-parser) and compiles each of its schemas with Ajv
 * in strict mode. Prints one line per problem, each naming its JSON
 * pointer in the document, and exits 1; prints one line and exits 0 when
 * the document is valid.
 */
const path = require("path");
const { validateDocument } = require("./contract");

async function main() {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node validate-doc.js OPENAPI.yaml");
    process.exit(2);
  }
  const problems = await validateDocument(file);
  const name = path.basename(file);
  if (problems.length) {
    for (const p of problems) console.log(name + " " + p);
    console.log(name + ": " + problems.length + " problem(s)");
    process.exit(1);
  }
  console.log(name + ": a valid OpenAPI 3.0 document (swagger-parser " +
    require("@apidevtools/swagger-parser/package.json").version +
    ", Ajv " + require("ajv/package.json").version + " strict; node " +
    process.version + ")");
}

main().catch((e) => {
  console.log("validate-doc: " + (e.stack || e));
  process.exit(1);
});
