"use strict";
/*
 * Usage: node check-replies.js OPENAPI.yaml EXCHANGES.json
 * Checks replies of a live controller against an OpenAPI 3.0 document.
 * EXCHANGES.json is {"exchanges": [{method, path, status, headers, body}],
 * "routes": [[METHOD, PATH]]}: path is under the API's base (/api/v1),
 * with its query; headers have lower-case names; body is the reply's
 * text. With "routes" (the server's route table, "*" for a captured
 * name), it also checks that every route is documented and every
 * documented operation is a route, and that a reply of every GET route
 * was checked. Prints one line per mismatch (method, path, status and the
 * JSON pointer into the body) and exits 1; else a summary, exit 0.
 */
const fs = require("fs");
const { Contract } = require("./contract");

/* "/nodes/{name}/drain" and "/nodes/*\/drain" both as "/nodes/*\/drain". */
function shape(path) {
  return path.split("/").map((s) => (/^\{.+\}$/.test(s) ? "*" : s))
    .join("/");
}

function coverage(contract, routes, checked) {
  const problems = [];
  const documented = new Map(contract.operations().map((o) => {
    const [m, t] = o.split(" ");
    return [m + " " + shape(t), o];
  }));
  const served = new Set(routes.map(([m, p]) => m + " " + p));
  for (const r of served)
    if (!documented.has(r))
      problems.push("route " + r + " (controllerd/api.c) is not in the " +
        "contract");
  for (const [key, op] of documented)
    if (!served.has(key))
      problems.push("the contract has " + op + ", which no route of " +
        "controllerd/api.c serves");
  for (const r of served) {
    const [m] = r.split(" ");
    if (m === "GET" && documented.has(r) &&
        !checked.has(documented.get(r)))
      problems.push(documented.get(r) + ": no 2xx reply was checked");
  }
  return problems;
}

async function main() {
  const [docFile, xFile] = process.argv.slice(2);
  if (!docFile || !xFile) {
    console.error("usage: node check-replies.js OPENAPI.yaml EXCHANGES.json");
    process.exit(2);
  }
  const contract = await Contract.load(docFile);
  const input = JSON.parse(fs.readFileSync(xFile, "utf8"));
  const problems = [];
  const checked = new Set(); // "METHOD /template" with a 2xx reply
  const statuses = new Map();
  for (const x of input.exchanges) {
    const { template, problems: p } = contract.check(x);
    problems.push(...p);
    const op = x.method.toUpperCase() + " " + (template || "?");
    if (x.status >= 200 && x.status < 300) checked.add(op);
    statuses.set(x.status, (statuses.get(x.status) || 0) + 1);
  }
  if (input.routes) problems.push(...coverage(contract, input.routes,
    checked));
  for (const p of problems) console.log(p);
  const counts = [...statuses.entries()].sort((a, b) => a[0] - b[0])
    .map(([s, n]) => s + " x" + n).join(", ");
  console.log(input.exchanges.length + " replies checked against " +
    docFile.split("/").pop() + " (" + counts + "); " + checked.size +
    " operations with a 2xx reply; " + problems.length + " mismatch(es)");
  process.exit(problems.length ? 1 : 0);
}

main().catch((e) => {
  console.log("check-replies: " + (e.stack || e));
  process.exit(1);
});
