"use strict";
/*
 * The REST contract, checked by machine. validateDocument() checks
 * docs/openapi.yaml against the OpenAPI 3.0 schema (swagger-parser) and
 * compiles every schema in it with Ajv in strict mode, so that a misspelt
 * keyword is an error rather than a constraint nobody enforces.
 * Contract.check() checks one reply of a live controller against the
 * response the document gives for its path, method and status: the status
 * must be listed, the media type and required headers present, and the
 * body must match the schema; the body of a request the server accepted
 * must match the operation's requestBody. OpenAPI 3.0's `nullable` is
 * Ajv's own keyword; objects that list their properties are closed (a
 * member the document does not describe is a mismatch too), with allOf
 * merged first so that a composed schema is closed over all its parts.
 *
 * Replies any request may get whatever its route (an unknown route's 404,
 * a wrong method's 405, 413, 431, 500) are listed in the document's
 * `x-responses-of-any-request`.
 */

const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch",
  "trace"];
// OpenAPI 3.0 annotations that JSON Schema does not have
const ANNOTATIONS = ["example", "xml", "externalDocs"];

function newAjv() {
  const ajv = new Ajv({
    strict: true,
    strictTypes: true,
    allowUnionTypes: true,
    allErrors: true,
    discriminator: true,
  });
  addFormats(ajv);
  for (const k of ANNOTATIONS) ajv.addKeyword({ keyword: k });
  return ajv;
}

function pointer(parts) {
  return "#/" + parts.map((p) => String(p).replace(/~/g, "~0")
    .replace(/\//g, "~1")).join("/");
}

/* swagger-parser's errors, without the cascade each one causes in the
 * enclosing oneOf alternatives (a Reference object, the parent's oneOf). */
function schemaErrors(err) {
  const details = err.details || [];
  if (details.length === 0) return [err.message];
  const deeper = (a) => details.some((b) => b.instancePath !== a.instancePath
    && b.instancePath.startsWith(a.instancePath + "/"));
  const own = details.filter((d) => !deeper(d));
  const main = own.filter((d) => d.keyword !== "oneOf" &&
    !(d.keyword === "required" && d.params.missingProperty === "$ref"));
  const seen = new Set();
  const out = [];
  for (const d of main.length ? main : own) {
    let m = "#" + d.instancePath + ": " + d.message;
    if (d.params && d.params.additionalProperty !== undefined)
      m += " ('" + d.params.additionalProperty + "')";
    if (d.params && d.params.allowedValues)
      m += " (" + d.params.allowedValues.join(", ") + ")";
    if (!seen.has(m)) out.push(m);
    seen.add(m);
  }
  return out;
}

/* Every schema object reachable in the document, with its pointer. */
function* schemasOf(api) {
  const schemas = (api.components && api.components.schemas) || {};
  for (const [name, s] of Object.entries(schemas))
    yield [pointer(["components", "schemas", name]), s];
  for (const [path, item] of Object.entries(api.paths || {})) {
    for (const m of METHODS) {
      const op = item[m];
      if (!op) continue;
      const at = ["paths", path, m];
      for (const [i, p] of (op.parameters || []).entries())
        if (p.schema) yield [pointer([...at, "parameters", i, "schema"]),
          p.schema];
      const body = op.requestBody && op.requestBody.content;
      for (const [type, media] of Object.entries(body || {}))
        if (media.schema) yield [pointer([...at, "requestBody", "content",
          type, "schema"]), media.schema];
      for (const [status, r] of Object.entries(op.responses || {}))
        for (const [type, media] of Object.entries(r.content || {}))
          if (media.schema) yield [pointer([...at, "responses", status,
            "content", type, "schema"]), media.schema];
    }
  }
}

/*
 * Checks the OpenAPI document at `file`: the OpenAPI 3.0 schema and
 * references (swagger-parser), then every schema compiled by Ajv in strict
 * mode, each as written and closed as Contract.check() uses it. Resolves
 * to a list of problems, each naming the JSON pointer it is at; empty when
 * the document is valid.
 */
async function validateDocument(file) {
  let api;
  try {
    api = await SwaggerParser.parse(file);
  } catch (e) {
    return [e.message];
  }
  try {
    await SwaggerParser.validate(structuredClone(api));
  } catch (e) {
    return schemaErrors(e);
  }
  const deref = await SwaggerParser.dereference(structuredClone(api));
  const problems = [];
  const ajv = newAjv();
  for (const [at, s] of schemasOf(deref)) {
    for (const [how, schema] of [["", s], [" (closed)", close(s)]]) {
      try {
        ajv.compile(schema);
      } catch (e) {
        problems.push(at + how + ": " + e.message);
        break;
      }
    }
  }
  return problems;
}

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

/* allOf's parts merged into one schema, when every part can be: an
 * object's properties and required members add up. */
function mergeAllOf(s, memo) {
  const { allOf, ...rest } = s;
  const parts = allOf.map((p) => close(p, memo));
  const m = { ...rest };
  for (const p of parts) {
    if (!isObj(p) || p.allOf || p.anyOf || p.oneOf || p.not) return null;
    for (const [k, v] of Object.entries(p)) {
      if (k === "properties") {
        m.properties = { ...(m.properties || {}) };
        for (const [name, ps] of Object.entries(v))
          m.properties[name] = name in m.properties
            ? { allOf: [m.properties[name], ps] } : ps;
      } else if (k === "required") {
        m.required = [...new Set([...(m.required || []), ...v])];
      } else if (k === "description" || ANNOTATIONS.includes(k)) {
        continue;
      } else if (k in m && !sameJson(m[k], v)) {
        return null; // parts that disagree: left to allOf
      } else {
        m[k] = v;
      }
    }
  }
  return m;
}

/*
 * A schema in which every object that lists its properties and says
 * nothing of others refuses others: what the document does not describe
 * is not part of the contract. A dereferenced document shares subschemas;
 * memo keeps one closed copy of each.
 */
function close(s, memo = new Map()) {
  if (!isObj(s)) return s;
  if (memo.has(s)) return memo.get(s);
  const out = {};
  memo.set(s, out);
  let src = s;
  if (Array.isArray(s.allOf)) {
    const merged = mergeAllOf(s, memo);
    if (merged) src = merged;
  }
  for (const [k, v] of Object.entries(src)) {
    if (k === "properties" || k === "patternProperties") {
      out[k] = {};
      for (const [name, ps] of Object.entries(v))
        out[k][name] = close(ps, memo);
    } else if (["items", "additionalProperties", "not"].includes(k)) {
      out[k] = close(v, memo);
    } else if (["allOf", "anyOf", "oneOf"].includes(k)) {
      out[k] = v.map((x) => close(x, memo));
    } else {
      out[k] = v;
    }
  }
  if (out.properties && !("additionalProperties" in out) && !out.allOf &&
      !out.anyOf && !out.oneOf)
    out.additionalProperties = false;
  return out;
}

/* A path template's segments; a {name} is a wildcard. */
function segments(path) {
  return path.split("/").filter(Boolean);
}

function describe(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string")
    return "the string " + JSON.stringify(v.length > 40 ? v.slice(0, 40) +
      "..." : v);
  if (typeof v === "object") return "an object";
  return typeof v + " " + JSON.stringify(v);
}

function valueAt(body, instancePath) {
  let v = body;
  for (const p of instancePath.split("/").slice(1)) {
    if (v === null || typeof v !== "object") return undefined;
    v = v[p.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return v;
}

/* One line per Ajv error: the JSON pointer into the body and what is
 * wrong there. */
function bodyErrors(errors, body) {
  const out = [];
  const seen = new Set();
  for (const e of errors) {
    let where = e.instancePath || "";
    let what;
    if (e.keyword === "required") {
      what = "lacks the required member '" + e.params.missingProperty + "'";
    } else if (e.keyword === "additionalProperties") {
      where += "/" + e.params.additionalProperty.replace(/~/g, "~0")
        .replace(/\//g, "~1");
      what = "is not in the contract (a member the schema does not " +
        "describe)";
    } else if (e.keyword === "enum") {
      what = "is " + describe(valueAt(body, where)) + ", not one of " +
        e.params.allowedValues.map((x) => JSON.stringify(x)).join(", ");
    } else {
      what = e.message + ", is " + describe(valueAt(body, where));
    }
    const line = "body " + (where || "/") + " " + what + " (schema " +
      e.schemaPath + ")";
    if (!seen.has(line)) out.push(line);
    seen.add(line);
  }
  return out;
}

class Contract {
  /* The document at file, dereferenced; resolves to a Contract. */
  static async load(file) {
    const api = await SwaggerParser.dereference(file);
    return new Contract(api);
  }

  constructor(api) {
    this.api = api;
    this.ajv = newAjv();
    this.compiled = new Map();
    this.templates = Object.keys(api.paths || {}).map((t) => ({
      template: t, segs: segments(t),
    }));
    this.anyRequest = api["x-responses-of-any-request"] || {};
  }

  /* The path template that serves path (without its query), or null:
   * literal segments win over {name} ones. */
  route(path) {
    const segs = segments(path);
    let best = null;
    let bestScore = -1;
    for (const t of this.templates) {
      if (t.segs.length !== segs.length) continue;
      let score = 0;
      let ok = true;
      t.segs.forEach((ts, i) => {
        if (/^\{.+\}$/.test(ts)) return;
        if (ts === segs[i]) score++;
        else ok = false;
      });
      if (ok && score > bestScore) {
        best = t.template;
        bestScore = score;
      }
    }
    return best;
  }

  /* The response object for a reply, with where it was found, or an
   * explanation of why there is none. */
  response(method, path, status) {
    const m = method.toLowerCase();
    const template = this.route(path);
    const any = this.anyRequest;
    const s = String(status);
    const range = s[0] + "XX";
    const fromAny = (key) => {
      const set = (key && any[key]) || {};
      if (set[s]) return { response: set[s], where: "x-responses-of-any-" +
        "request " + key + " " + s };
      if (any.any && any.any[s])
        return { response: any.any[s], where: "x-responses-of-any-request " +
          "any " + s };
      return null;
    };
    if (template === null) {
      return fromAny("unknown-route") || {
        missing: "no path of the contract matches " + path + ", and " +
          "status " + s + " is not among the replies of any request to " +
          "an unknown route" };
    }
    const op = this.api.paths[template][m];
    if (!op) {
      return Object.assign({ template }, fromAny("unknown-method") || {
        missing: "the contract has no " + method.toUpperCase() + " " +
          template + ", and status " + s + " is not among the replies " +
          "of any request with a method its path does not take" });
    }
    const r = op.responses || {};
    for (const key of [s, range, "default"])
      if (r[key]) return { template, op, response: r[key], where: key };
    const found = fromAny(null);
    if (found) return Object.assign({ template, op }, found);
    return { template, op, missing: "status " + s + " is not listed for " +
      method.toUpperCase() + " " + template + " (it lists " +
      Object.keys(r).join(", ") + ")" };
  }

  validator(schema) {
    if (!this.compiled.has(schema))
      this.compiled.set(schema, this.ajv.compile(close(schema)));
    return this.compiled.get(schema);
  }

  /*
   * Checks one exchange: {method, path (under /api/v1, query allowed),
   * status, headers: {lower-case name: value}, body: the reply's text,
   * request: the request's body, if it had one}.
   * Returns {template, problems}: each problem a line naming the method,
   * path, status and, for the body, the JSON pointer of the mismatch.
   */
  check(x) {
    const path = x.path.split("?")[0];
    const head = x.method.toUpperCase() + " " + x.path + " " + x.status + ": ";
    const found = this.response(x.method, path, x.status);
    const problems = [];
    if (found.missing) return { template: found.template, problems: [head +
      found.missing] };
    if (x.request !== undefined && x.status >= 200 && x.status < 300)
      problems.push(...this.checkRequest(head, found, x.request));
    const resp = found.response;
    const headers = x.headers || {};
    for (const [name, h] of Object.entries(resp.headers || {})) {
      const value = headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.required)
          problems.push(head + "lacks the header " + name + " that the " +
            "contract requires (" + found.where + ")");
      } else if (h.schema && !this.validator(h.schema)(value)) {
        problems.push(head + "header " + name + ": " + JSON.stringify(value) +
          " " + this.ajv.errorsText(this.validator(h.schema).errors,
          { dataVar: "" }).replace(/^\s+/, "") + " (" + found.where + ")");
      }
    }
    if (x.method.toUpperCase() === "HEAD") // a reply to HEAD has no body
      return { template: found.template, problems };
    const text = x.body || "";
    if (!resp.content) {
      if (text.trim() !== "")
        problems.push(head + "has a body, and the contract gives none for " +
          "it (" + found.where + ")");
      return { template: found.template, problems };
    }
    const type = (headers["content-type"] || "").split(";")[0].trim()
      .toLowerCase();
    const media = resp.content[type];
    if (!media) {
      problems.push(head + "Content-Type '" + (headers["content-type"] ||
        "") + "' is not among " + Object.keys(resp.content).join(", ") +
        " (" + found.where + ")");
      return { template: found.template, problems };
    }
    if (!media.schema) return { template: found.template, problems };
    let body;
    try {
      body = JSON.parse(text);
    } catch (e) {
      problems.push(head + "body is not JSON (" + e.message + ")");
      return { template: found.template, problems };
    }
    const validate = this.validator(media.schema);
    if (!validate(body))
      for (const line of bodyErrors(validate.errors, body))
        problems.push(head + line);
    return { template: found.template, problems };
  }

  /* An accepted request's body against the operation's requestBody: a
   * document that would refuse what the server accepts is wrong too. */
  checkRequest(head, found, text) {
    const body = found.op && found.op.requestBody;
    if (!body) {
      return text ? [head + "the request had a body, and the contract " +
        "takes none"] : [];
    }
    const media = (body.content || {})["application/json"];
    if (!text) {
      return body.required ? [head + "accepted without a body, and the " +
        "contract requires one"] : [];
    }
    if (!media || !media.schema) return [];
    let json;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return [head + "accepted a request body that is not JSON"];
    }
    const validate = this.validator(media.schema);
    if (validate(json)) return [];
    return bodyErrors(validate.errors, json).map((l) => head + "request " +
      l + ", though the server accepted it");
  }

  /* Every operation the document has, as "METHOD /template". */
  operations() {
    const out = [];
    for (const [t, item] of Object.entries(this.api.paths || {}))
      for (const m of METHODS)
        if (item[m]) out.push(m.toUpperCase() + " " + t);
    return out;
  }
}

module.exports = { validateDocument, Contract, close };
