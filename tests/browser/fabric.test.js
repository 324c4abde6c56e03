// The dashboard at fabric size: playwright-core driving Debian's Chromium
// against a controller of POD_PODS pods (100 x 128 nodes) with a leak on
// one pod, nodes down on many others and a few hundred jobs, all set up by
// tools/bench/dashboard/run (which tests/integration/test_dashboard_fabric.py
// runs with --short).
//
// Checks that the page leads the operator to the trouble: the fabric view
// asks only /status and /pods (no job, alarm or node list), ranks the leak
// pod first with a leak badge distinct from the pods whose nodes are down,
// and the alarms view's first row is the critical leak, with the node_down
// alarms counted in one line. Then times each view, POD_ROUNDS times, from
// navigation to its first complete refresh and the frame after
// (performance.now() in the page), and the bare page (no view) as the
// baseline; with POD_OLD_WEB (a copy of an older web/), the same views of
// that dashboard on the same controller. Times are written to POD_RESULT
// (JSON) for the bench script, never asserted.
//
// Environment: POD_URL, POD_PODS, POD_LEAK_POD, POD_LEAK_NODE,
// POD_DOWN_PODS, POD_DOWN_POD, POD_ROUNDS (default 1), POD_RESULT, POD_OLD_WEB,
// POD_SHOTS, POD_CHROMIUM (default /usr/bin/chromium).
"use strict";

const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

const BASE = process.env.POD_URL;
const PODS = Number(process.env.POD_PODS || 100);
const LEAK_POD = process.env.POD_LEAK_POD;
const LEAK_NODE = process.env.POD_LEAK_NODE;
const DOWN_PODS = Number(process.env.POD_DOWN_PODS || 0);
const DOWN_POD = process.env.POD_DOWN_POD || "pod01"; // one with nodes down
const ROUNDS = Number(process.env.POD_ROUNDS || 1);
const RESULT = process.env.POD_RESULT;
const OLD_WEB = process.env.POD_OLD_WEB || "";
const SHOTS = process.env.POD_SHOTS || path.join(os.tmpdir(), "pod-dashboard-shots");
const CHROMIUM = process.env.POD_CHROMIUM || "/usr/bin/chromium";
const WAIT_MS = 60000;

if (!BASE || !LEAK_POD || !LEAK_NODE) {
  console.error("fabric.test.js: set POD_URL, POD_LEAK_POD and POD_LEAK_NODE");
  process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });

const VIEWS = [
  ["fabric", "#/"],
  ["alarms", "#/alarms"],
  ["jobs", "#/jobs"],
  ["pod", "#/pods/" + LEAK_POD],
];
const errors = [];
const result = { baseline: [], new: {}, old: {}, requests: {} };
let browser;

function assert(cond, what) {
  if (!cond) {
    throw new Error("assertion failed: " + what);
  }
}

function watch(p) {
  p.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  p.on("console", (m) => {
    if (m.type() === "error") {
      errors.push("console: " + m.text());
    }
  });
}

// A context of its own; with dir, the page's own files come from dir (an
// older dashboard) while the API stays the controller's.
async function context(dir) {
  const ctx = await browser.newContext({ locale: "en-GB",
    viewport: { width: 1440, height: 900 } });
  if (dir) {
    const types = { ".html": "text/html", ".js": "text/javascript",
      ".css": "text/css", ".svg": "image/svg+xml" };
    await ctx.route((u) => u.origin === BASE && !u.pathname.startsWith("/api/") &&
      u.pathname !== "/metrics", (route) => {
      const p = new URL(route.request().url()).pathname;
      const file = path.join(dir, p === "/" ? "index.html" : p.replace(/^\/+/, ""));
      if (!file.startsWith(dir) || !fs.existsSync(file)) {
        return route.fulfill({ status: 404, body: "" });
      }
      return route.fulfill({ status: 200, body: fs.readFileSync(file),
        contentType: types[path.extname(file)] || "application/octet-stream" });
    });
  }
  return ctx;
}

// Loads BASE/hash afresh and returns the ms from navigation to the first
// complete refresh (the header's "Updated" time appears, in both the
// current and the older dashboard) and the frame after.
async function timeLoad(page, hash) {
  await page.goto("about:blank");
  await page.goto(BASE + "/" + hash);
  const h = await page.waitForFunction(() =>
    document.getElementById("updated").textContent !== "" && performance.now(),
  null, { polling: "raf", timeout: WAIT_MS });
  return h.jsonValue();
}

// The API requests a load of hash makes until its first refresh, and the
// bytes of their replies.
async function requestsOf(page, hash) {
  const seen = [];
  const sizes = [];
  const onResp = (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith("/api/v1/")) {
      seen.push(u.pathname.slice(7) + u.search);
      sizes.push(r.body().then((b) => b.length).catch(() => 0));
    }
  };
  await page.goto("about:blank");
  page.on("response", onResp);
  await page.goto(BASE + "/" + hash);
  await page.waitForFunction(() => document.getElementById("updated").textContent !== "",
    null, { timeout: WAIT_MS });
  page.off("response", onResp);
  const bytes = (await Promise.all(sizes)).reduce((a, b) => a + b, 0);
  return { paths: Array.from(new Set(seen)).sort(), bytes };
}

// ---- the checks ----

async function test_fabric_leads_to_the_leak(page) {
  const req = await requestsOf(page, "#/");
  result.requests.new = req;
  // besides the page's own, once: who is signed in, the site's controllers
  const other = req.paths.filter((p) => !/^\/(status|pods\?sort=trouble|whoami|health)$/.test(p));
  assert(other.length === 0, "the fabric view asks only /status and /pods: " + req.paths);
  await page.waitForFunction((n) => document.querySelectorAll(
    ".view-fabric tbody tr").length === n, PODS, { timeout: WAIT_MS });
  const first = await page.$eval(".view-fabric tbody tr", (tr) => tr.dataset.key);
  assert(first === LEAK_POD, "the leak pod is the first row: " + first);
  const card = await page.$eval(".attention li", (li) => [li.dataset.pod, li.dataset.worst]);
  assert(card[0] === LEAK_POD && card[1] === "leak", "the first card is the leak: " + card);
  const leakRow = page.locator(`.view-fabric tbody tr[data-key="${LEAK_POD}"]`);
  assert(await leakRow.locator('[data-problem="leak"]').count() === 1, "a leak badge");
  if (DOWN_PODS > 0) {
    const down = page.locator(`.view-fabric tbody tr[data-key="${DOWN_POD}"]`);
    assert(await down.locator('[data-problem="down"]').count() === 1 &&
      await down.locator('[data-problem="leak"]').count() === 0,
    "a pod with nodes down has a down badge and no leak badge");
    const colours = await page.evaluate(([leak, down]) => {
      const l = document.querySelector(`tr[data-key="${leak}"] [data-problem="leak"]`);
      const d = document.querySelector(`tr[data-key="${down}"] [data-problem="down"]`);
      return [getComputedStyle(l).backgroundColor, getComputedStyle(d).backgroundColor];
    }, [LEAK_POD, DOWN_POD]);
    assert(colours[0] !== colours[1], "leak and down badges differ in colour: " + colours);
    // the filter shows only the leaking pod
    await page.selectOption("#fabric-filter", "leak");
    const rows = await page.$$eval(".view-fabric tbody tr", (ts) => ts.map((t) => t.dataset.key));
    assert(rows.length === 1 && rows[0] === LEAK_POD, "filter 'leak': " + rows);
    await page.selectOption("#fabric-filter", "all");
  }
  await page.screenshot({ path: path.join(SHOTS, "fabric-100.png"), fullPage: false });
}

async function test_alarms_critical_first(page) {
  const req = await requestsOf(page, "#/alarms");
  assert(req.paths.some((p) => /^\/alarms\?limit=\d+/.test(p)), "alarms asked with a limit: " +
    req.paths);
  await page.locator(".view-alarms tbody tr").first().waitFor({ timeout: WAIT_MS });
  const first = await page.$eval(".view-alarms tbody tr", (tr) =>
    [tr.dataset.kind, tr.dataset.severity, tr.innerText]);
  assert(first[0] === "leak" && first[1] === "critical" && first[2].includes(LEAK_NODE),
    "the first alarm row is the critical leak: " + first);
  if (DOWN_PODS > 0) {
    // at least one per pod that lost nodes (a busy machine may add some)
    const line = await page.locator(".alarm-summary li.kind-node_down").innerText();
    const n = Number((/(\d[\d,]*)/.exec(line.replace(/^[^:]*:/, "")) || ["", "0"])[1]
      .replace(/,/g, ""));
    assert(n >= DOWN_PODS, "node_down alarms counted in one line: " + line);
  }
  await page.screenshot({ path: path.join(SHOTS, "alarms-100.png"), fullPage: false });
}

async function test_jobs_view_pages(page) {
  const req = await requestsOf(page, "#/jobs");
  assert(req.paths.every((p) => !/^\/jobs/.test(p) || /limit=\d+/.test(p)),
    "the jobs view asks pages: " + req.paths);
  const rows = await page.locator(".view-jobs .running tbody tr").count();
  assert(rows > 0 && rows <= 100, "running jobs, one page: " + rows);
}

async function test_no_javascript_errors() {
  assert(errors.length === 0, "JavaScript errors:\n  " + errors.join("\n  "));
}

// ---- the times ----

// Each round loads the bare page (when baseline is given) and every view
// once, interleaved, so that a slow moment of the machine weighs on all;
// one untimed load first warms the caches.
async function timeViews(page, into, rounds, baseline) {
  await timeLoad(page, "#/");
  for (let r = 0; r < rounds; r++) {
    if (baseline) {
      baseline.push(await timeLoad(page, "#/none"));
    }
    for (const [name, hash] of VIEWS) {
      (into[name] = into[name] || []).push(await timeLoad(page, hash));
    }
  }
}

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update",
      "--disable-sync"],
  });
  console.log(`node ${process.version}, chromium ${browser.version()} (${CHROMIUM}), ` +
    `playwright-core ${require("playwright-core/package.json").version}`);
  const ctx = await context(null);
  const page = await ctx.newPage();
  watch(page);
  let passed = 0, failed = 0;
  for (const t of [test_fabric_leads_to_the_leak, test_alarms_critical_first,
    test_jobs_view_pages]) {
    const start = Date.now();
    try {
      await t(page);
      passed++;
      console.log(`ok   ${t.name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}: ${e.message}`);
      await page.screenshot({ path: path.join(SHOTS, "FAIL-" + t.name + ".png") })
        .catch(() => {});
    }
  }
  // the times: the current dashboard, its bare page, then the old one
  await timeViews(page, result.new, ROUNDS, result.baseline);
  if (OLD_WEB) {
    const octx = await context(OLD_WEB);
    const op = await octx.newPage();
    result.requests.old = await requestsOf(op, "#/");
    await timeViews(op, result.old, ROUNDS);
    await octx.close();
  }
  try {
    await test_no_javascript_errors();
    passed++;
    console.log("ok   test_no_javascript_errors");
  } catch (e) {
    failed++;
    console.log(`FAIL test_no_javascript_errors: ${e.message}`);
  }
  for (const [k, v] of Object.entries(result.new)) {
    console.log(`time ${k}: ${v.map((x) => x.toFixed(0)).join(", ")} ms`);
  }
  console.log(`time bare page: ${result.baseline.map((x) => x.toFixed(0)).join(", ")} ms`);
  if (RESULT) {
    fs.writeFileSync(RESULT, JSON.stringify(result));
  }
  await ctx.close();
  await browser.close();
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
