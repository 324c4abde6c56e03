// End-to-end test of the dashboard in a real browser: playwright-core
// driving Debian's Chromium (headless) against a running controller fed by
// pod-fleetsim, both started by tests/integration/test_dashboard.py.
//
// Environment: POD_URL (the controller, http://127.0.0.1:PORT), POD_PODCTL
// (the podctl binary), POD_SHOTS (directory for screenshots), POD_WEB_DIR
// (the web/ sources, for the message-table checks), POD_CHROMIUM (default
// /usr/bin/chromium), and the tokens POD_ADMIN_TOKEN (user root),
// POD_OPERATOR_TOKEN (user otto) and POD_VIEWER_TOKEN (user vera). The main
// page signs in as the admin; the role checks use pages of their own, each
// with its own sessionStorage. The fleet is one pod of 128 nodes with a leak on
// pod01-n005; the controller stores a sample of every node each second, and
// has some of pod01-n001 before this starts. Prints the Node and Chromium
// versions it runs with, one line per check and "N passed, M failed".
"use strict";

const { chromium } = require("playwright-core");
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const vm = require("vm");

const BASE = process.env.POD_URL;
const PODCTL = process.env.POD_PODCTL;
const SHOTS = process.env.POD_SHOTS || path.join(os.tmpdir(), "pod-dashboard-shots");
const WEB = process.env.POD_WEB_DIR || path.join(__dirname, "..", "..", "web");
const CHROMIUM = process.env.POD_CHROMIUM || "/usr/bin/chromium";
const ADMIN = process.env.POD_ADMIN_TOKEN;
const OPERATOR = process.env.POD_OPERATOR_TOKEN;
const VIEWER = process.env.POD_VIEWER_TOKEN;
const WRONG = "pod_" + "0".repeat(64);
// a second name for the controller's address, in the browser only (its
// --host-resolver-rules): another origin, whatever /etc/hosts says
const OTHER_HOST = "standby.pod.test";
const WAIT_MS = 20000;

if (!BASE || !PODCTL || !ADMIN || !OPERATOR || !VIEWER) {
  console.error("dashboard.test.js: set POD_URL, POD_PODCTL and the " +
    "POD_{ADMIN,OPERATOR,VIEWER}_TOKEN");
  process.exit(2);
}
fs.mkdirSync(SHOTS, { recursive: true });

function podctl(...args) {
  return execFileSync(PODCTL, ["--server", BASE, ...args],
    { encoding: "utf8", timeout: 30000,
      env: Object.assign({}, process.env, { POD_TOKEN: ADMIN }) }).trim();
}

async function api(p, token) {
  const r = await fetch(BASE + "/api/v1" + p,
    { headers: { Authorization: "Bearer " + (token === undefined ? ADMIN : token) } });
  return token === undefined ? r.json() : r;
}

function assert(cond, what) {
  if (!cond) {
    throw new Error("assertion failed: " + what);
  }
}

// The message tables, read the way the page reads them.
function messages() {
  const ctx = {};
  vm.runInNewContext(fs.readFileSync(path.join(WEB, "i18n.js"), "utf8") +
    "\nthis.M = POD_MESSAGES;", ctx);
  return ctx.M;
}

const M = messages();
const errors = []; // JavaScript errors seen by any page
let browser;
let page;
let jobPending = null;
let jobRunning = null;

function watch(p) {
  p.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  p.on("console", (m) => {
    // Chromium logs every 401 as a failed load; they are how the page
    // learns it must sign in
    if (m.type() === "error" && !/status of 401/.test(m.text())) {
      errors.push("console: " + m.text() + " (" + (m.location().url || "") + ")");
    }
  });
}

async function go(hash) {
  await page.goto(BASE + "/" + hash);
  await page.waitForSelector("#updated:not(:empty)", { timeout: WAIT_MS });
}

async function shot(name) {
  await page.screenshot({ path: path.join(SHOTS, name + ".png"), fullPage: true });
}

// Texts and labels on the page that look like a raw message key.
async function rawKeys() {
  return page.evaluate(() => {
    const keys = Object.keys(POD_MESSAGES.en);
    const texts = [document.body.innerText, document.title];
    for (const e of document.querySelectorAll("[aria-label],[title]")) {
      texts.push(e.getAttribute("aria-label") || "", e.getAttribute("title") || "");
    }
    const all = texts.join("\n");
    return keys.filter((k) => all.includes(k));
  });
}

// Opens the sign-in form, whether the controller asked for a token (no
// anonymous reads) or lets reads through (then the Sign in button does).
async function openSignIn(p) {
  await p.waitForFunction(() => !document.getElementById("signin").hidden ||
    document.getElementById("whoami").dataset.role === "anonymous" ||
    document.getElementById("whoami").dataset.user !== "", null, { timeout: WAIT_MS });
  if (await p.locator("#signin").isHidden()) {
    await p.click("#sign-in");
  }
  await p.locator("#token").waitFor({ state: "visible", timeout: WAIT_MS });
}

// Signs page p in with token and waits until the header names user.
async function signIn(p, token, user) {
  await openSignIn(p);
  await p.fill("#token", token);
  await p.click('#signin button[type="submit"]');
  await p.waitForFunction((u) => document.getElementById("whoami").dataset.user === u,
    user, { timeout: WAIT_MS });
  await p.waitForSelector("#updated:not(:empty)", { timeout: WAIT_MS });
}

// A fresh page (its own sessionStorage) signed in as user with token.
async function pageAs(token, user, hash) {
  const p = await page.context().newPage();
  watch(p);
  await p.goto(BASE + "/" + hash);
  await signIn(p, token, user);
  return p;
}

// ---- the checks, in order ----

// A wrong token gets the form back with why; the admin's signs in and the
// header says who, with its role; the token is in sessionStorage only.
async function test_sign_in() {
  await page.goto(BASE + "/#/");
  await openSignIn(page);
  assert(await page.getAttribute("#token", "type") === "password", "a password field");
  await page.fill("#token", WRONG);
  await page.click('#signin button[type="submit"]');
  await page.waitForFunction((s) => document.getElementById("signin-error").textContent === s,
    M.en["auth.refused"], { timeout: WAIT_MS });
  assert(await page.locator("#signin").isVisible(), "the form stays after a wrong token");
  assert(await page.evaluate(() => sessionStorage.getItem("pod.token")) === null,
    "a refused token is not kept");
  await shot("sign-in-refused");
  await signIn(page, ADMIN, "root");
  assert(await page.locator("#signin").isHidden(), "the form is gone");
  const who = await page.locator("#whoami").innerText();
  assert(who === M.en["auth.signed_in"].replace("{user}", "root")
    .replace("{role}", M.en["role.admin"]), "header says who: " + who);
  assert(await page.locator("#sign-out").isVisible(), "a Sign out button");
  assert(await page.evaluate(() => sessionStorage.getItem("pod.token")) === ADMIN,
    "the token is in sessionStorage");
  assert(await page.evaluate(() => localStorage.getItem("pod.token")) === null,
    "and not in localStorage");
  assert(await page.locator('#nav a[data-route="tokens"]').isVisible(),
    "an admin has the Tokens tab");
}


async function test_message_tables() {
  const en = Object.keys(M.en).sort(), zh = Object.keys(M.zh).sort();
  const onlyEn = en.filter((k) => !(k in M.zh));
  const onlyZh = zh.filter((k) => !(k in M.en));
  assert(onlyEn.length === 0 && onlyZh.length === 0,
    "same keys in both tables; only en: " + onlyEn + "; only zh: " + onlyZh);
  for (const l of ["en", "zh"]) {
    for (const [k, v] of Object.entries(M[l])) {
      assert(typeof v === "string" && v.trim() !== "", l + " " + k + " is empty");
    }
  }
  // every key the sources name literally is in the tables
  const files = ["index.html", "app.js"].concat(fs.readdirSync(path.join(WEB, "views"))
    .map((f) => path.join("views", f)));
  const re = /(?:\bt\(|\bkpi\(|chartBox\(|head: |empty: |data-i18n=)"([a-z_]+\.[A-Za-z_.]+)"(?=\s*[,)}>])/g;
  const missing = [];
  let used = 0;
  for (const f of files) {
    const src = fs.readFileSync(path.join(WEB, f), "utf8");
    for (const m of src.matchAll(re)) {
      used++;
      if (!(m[1] in M.en)) {
        missing.push(f + ": " + m[1]);
      }
    }
  }
  assert(used > 100, "found the keys the sources use (" + used + ")");
  assert(missing.length === 0, "keys used but not in the tables: " + missing.join(", "));
}

async function test_fabric_view() {
  await go("#/");
  const row = page.locator('tr[data-key="pod01"]');
  await row.waitFor({ timeout: WAIT_MS });
  await page.waitForFunction(() => /kW/.test(document.querySelector(
    'tr[data-key="pod01"]').innerText), null, { timeout: WAIT_MS });
  const text = await row.innerText();
  assert(/°C/.test(text) && /L\/min/.test(text) && /kW/.test(text),
    "pod row carries units: " + text);
  assert(await page.locator("#nav a[aria-current=page]").innerText() === M.en["nav.fabric"],
    "the Fabric tab is current");
  await shot("fabric");
}

async function test_pod_view_shows_128_tiles() {
  await go("#/pods/pod01");
  await page.waitForFunction(() => document.querySelectorAll("[data-node]").length === 128,
    null, { timeout: WAIT_MS });
  const names = await page.$$eval("[data-node]", (ts) => ts.map((t) => t.dataset.node));
  const want = Array.from({ length: 128 }, (_, i) => "pod01-n" + String(i + 1).padStart(3, "0"));
  assert(JSON.stringify(names) === JSON.stringify(want), "tiles pod01-n001…n128 in order");
  const groups = await page.$$eval(".group", (gs) => gs.map((g) =>
    g.querySelectorAll("[data-node]").length));
  assert(groups.length === 8 && groups.every((n) => n === 16), "8 groups of 16: " + groups);
  // temperature colouring paints the tiles of reporting nodes
  await page.waitForFunction(() => document.querySelector('[data-node="pod01-n002"]')
    .style.getPropertyValue("--bg") !== "", null, { timeout: WAIT_MS });
  await shot("pod");
}

async function test_heatmap_modes_and_keyboard() {
  const tile = '[data-node="pod01-n002"]';
  const temp = await page.$eval(tile, (t) => t.style.getPropertyValue("--bg"));
  await page.click('button[data-mode="power"]');
  const power = await page.$eval(tile, (t) => t.style.getPropertyValue("--bg"));
  assert(power !== "" && power !== temp, "power mode recolours (" + temp + " → " + power + ")");
  await page.click('button[data-mode="state"]');
  assert(await page.$eval(tile, (t) => t.classList.contains("by-state")), "state mode");
  await page.click('button[data-mode="temp"]');

  // one tab stop for the grid; arrows move; Enter opens the node
  assert(await page.locator('.tile[tabindex="0"]').count() === 1, "one tile in the tab order");
  await page.focus('[data-node="pod01-n001"]');
  await page.keyboard.press("ArrowRight");
  assert(await page.evaluate(() => document.activeElement.dataset.node) === "pod01-n002",
    "ArrowRight moves to n002");
  await page.keyboard.press("ArrowDown");
  assert(await page.evaluate(() => document.activeElement.dataset.node) === "pod01-n010",
    "ArrowDown moves to n010");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => location.hash === "#/nodes/pod01-n010", null,
    { timeout: WAIT_MS });
}

async function test_drained_node_turns_drained() {
  await go("#/pods/pod01");
  const tile = page.locator('[data-node="pod01-n007"]');
  await tile.waitFor({ timeout: WAIT_MS });
  assert(await tile.getAttribute("data-state") !== "drained", "n007 starts in service");
  podctl("node", "drain", "pod01-n007", "--reason", "browser test");
  // no reload: the poll brings it
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-node="pod01-n007"]');
    return t.dataset.state === "drained" && t.classList.contains("st-drained");
  }, null, { timeout: WAIT_MS });
  const mark = tile.locator(".mark");
  assert(await mark.isVisible(), "the drained mark is visible");
  assert(await mark.innerText() === "⊘", "the drained mark is ⊘");
  const border = await tile.evaluate((t) => getComputedStyle(t).borderTopWidth);
  assert(parseFloat(border) >= 3, "drained tiles have a heavy border: " + border);
  const label = await tile.getAttribute("aria-label");
  assert(label.includes(M.en["node_state.drained"]) && label.includes("browser test"),
    "its label says drained and why: " + label);
  await page.click('button[data-mode="state"]');
  await shot("pod-state");
  await page.click('button[data-mode="temp"]');
}

async function test_node_view() {
  // the last hour, asked with toISOString()'s milliseconds, drawn from the
  // samples the controller stored
  const asked = page.waitForResponse((r) =>
    r.url().startsWith(BASE + "/api/v1/telemetry?") &&
    new URL(r.url()).searchParams.get("node") === "pod01-n001", { timeout: WAIT_MS });
  await go("#/nodes/pod01-n001");
  const reply = await asked;
  const from = new URL(reply.url()).searchParams.get("from");
  assert(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(from),
    "from= is toISOString()'s form: " + from);
  assert(reply.status() === 200, "telemetry answered " + reply.status() + ": " +
    await reply.text());
  const body = await reply.json();
  const fromMs = Date.parse(body.from);
  const stored = body.points.filter((p) => p.power_w !== null &&
    Date.parse(p.t) >= fromMs).length;
  assert(stored > 0, "the controller has stored samples: " + JSON.stringify(body));
  await page.waitForFunction(() => document.querySelectorAll(
    ".view-node svg.chart").length === 2, null, { timeout: WAIT_MS });
  assert(await page.$eval(".view-node .trends", (t) => t.previousElementSibling.hidden),
    "the 'no history' note is hidden");
  // the power chart draws one vertex per stored bucket
  const drawn = await page.$eval(".view-node svg.chart path", (p) =>
    (p.getAttribute("d").match(/[ML]/g) || []).length);
  assert(drawn === stored, "power chart points: " + drawn + ", stored buckets: " + stored);
  const legend = await page.locator(".chart-legend").first().innerText();
  assert(/\d.*W/.test(legend), "legend has the latest power with its unit: " + legend);

  await page.waitForFunction(() => document.querySelectorAll(".accels tbody tr").length === 8,
    null, { timeout: WAIT_MS });
  const row = await page.locator(".accels tbody tr").first().innerText();
  assert(/W/.test(row) && /°C/.test(row) && /MHz/.test(row) && /%/.test(row),
    "accelerator row carries units: " + row);
  await shot("node");
}

// The charts on a full hour of the telemetry reply's documented shape, with
// gaps, served by the test itself: a fresh controller has only seconds of
// samples.
async function test_node_trend_charts() {
  const now = Date.now(), step = 30;
  const points = [];
  for (let i = 120; i >= 0; i--) {
    const k = (120 - i) / 120;
    points.push({ t: new Date(now - i * step * 1000).toISOString(),
      power_w: i > 100 ? null : 3000 + 2500 * Math.sin(k * 6) ** 2,
      hottest_c: i > 100 ? null : 45 + 20 * Math.sin(k * 6) ** 2,
      inlet_c: 30, outlet_c: i > 100 ? null : 34 + 5 * Math.sin(k * 6) ** 2 });
  }
  let asked = null;
  await page.route("**/api/v1/telemetry?*", (route) => {
    asked = new URL(route.request().url());
    route.fulfill({ status: 200, contentType: "application/json",
      body: JSON.stringify({ node: "pod01-n003", step_s: step, points }) });
  });
  try {
    await go("#/nodes/pod01-n003");
    await page.waitForFunction(() => document.querySelectorAll("svg.chart").length === 2,
      null, { timeout: WAIT_MS });
    assert(asked.searchParams.get("node") === "pod01-n003", "asked for this node");
    const from = Date.parse(asked.searchParams.get("from"));
    assert(Math.abs(Date.now() - from - 3600e3) < 120e3, "asked for the last hour");
    const lines = await page.$$eval("svg.chart path", (ps) => ps.map((p) =>
      (p.getAttribute("d").match(/[ML]/g) || []).length));
    assert(lines.length === 4 && lines.every((n) => n > 50), "4 series drawn: " + lines);
    const legend = await page.locator(".chart-legend").first().innerText();
    assert(/kW|W/.test(legend), "legend has the latest value with its unit: " + legend);
    await shot("node-trends");
  } finally {
    await page.unroute("**/api/v1/telemetry?*");
  }
}

async function test_submitted_job_appears_in_queue() {
  // the whole pod, with a node drained: it must wait
  jobPending = podctl("submit", "--name", "browser-wide", "--nodes", "128",
    "--time", "10m", "--", "sleep", "60");
  const running = podctl("submit", "--name", "browser-small", "--nodes", "2",
    "--time", "10m", "--", "sleep", "300");
  jobRunning = running;
  await go("#/jobs");
  const q = page.locator(`.queue tr[data-job="${jobPending}"]`);
  await q.waitFor({ timeout: WAIT_MS });
  assert(await q.getAttribute("data-state") === "pending", "queued job is pending");
  const reason = await q.locator("td[data-reason]").getAttribute("data-reason");
  assert(reason, "pending job shows why it waits");
  assert(await q.innerText().then((s) => s.includes("browser-wide")), "queued job's name");
  await page.locator(`.running tr[data-job="${running}"]`).waitFor({ timeout: WAIT_MS });
  await shot("jobs");
}

// The node page lists the attempts that ran there, from the node's detail,
// and follows one from running to how it ended without a reload.
async function test_node_shows_recent_attempts() {
  // the queue check saw it running: it has its nodes
  const job = await api("/jobs/" + jobRunning);
  assert(job.state === "running" && job.nodes.length === 2, "the job runs on 2 nodes: " + JSON.stringify(job.nodes));
  const node = job.nodes[1];
  await go("#/nodes/" + node);
  const row = page.locator(`.attempts tr[data-key="${jobRunning}.1"]`);
  await row.waitFor({ timeout: WAIT_MS });
  assert((await row.innerText()).includes("browser-small"), "the row names the job");
  const how = row.locator("td[data-ended-by]");
  assert(await how.getAttribute("data-ended-by") === "running", "it runs");
  assert(await how.innerText() === M.en["ended_by.running"], "and says so");
  podctl("cancel", String(jobRunning));
  await page.waitForFunction((k) => {
    const td = document.querySelector(`.attempts tr[data-key="${k}"] td[data-ended-by]`);
    return td && td.dataset.endedBy === "cancelled";
  }, jobRunning + ".1", { timeout: WAIT_MS });
  assert(await how.innerText() === M.en["ended_by.cancelled"], "it says cancelled");
  const n = await api("/nodes/" + node);
  assert(n.recent_attempts[0].job_id === Number(jobRunning) &&
    n.recent_attempts[0].ended_by === "cancelled", "the node detail has it first");
  await shot("node-attempts");
}

// A viewer sees the alarms but no Acknowledge button (hidden, not greyed)
// and no Tokens tab; an operator has the buttons, and the ack carries the
// operator's token.
async function test_roles_hide_controls() {
  await go("#/alarms");
  const open = page.locator('tr[data-state="open"]', { hasText: "pod01-n005" }).first();
  await open.waitFor({ timeout: WAIT_MS });
  const id = await open.getAttribute("data-alarm");
  await shot("alarms");

  const v = await pageAs(VIEWER, "vera", "#/alarms");
  try {
    const row = v.locator(`tr[data-alarm="${id}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    assert(await v.locator("#whoami").innerText() === M.en["auth.signed_in"]
      .replace("{user}", "vera").replace("{role}", M.en["role.viewer"]), "viewer named");
    assert(await row.locator("button.ack").count() === 1 &&
      await row.locator("button.ack").isHidden(), "no Acknowledge button for a viewer");
    assert(await v.locator('#nav a[data-route="tokens"]').isHidden(), "no Tokens tab");
    await v.screenshot({ path: path.join(SHOTS, "alarms-viewer.png"), fullPage: true });
    await v.goto(BASE + "/#/nodes/pod01-n020");
    await v.waitForSelector('.view-node h1 .state[data-state="idle"], ' +
      '.view-node h1 .state[data-state="allocated"], .view-node h1 .state[data-state="mixed"]',
    { timeout: WAIT_MS });
    assert(await v.locator(".node-controls").count() === 1 &&
      await v.locator(".node-controls").isHidden(), "no drain form for a viewer");
  } finally {
    await v.close();
  }

  const o = await pageAs(OPERATOR, "otto", "#/alarms");
  try {
    const row = o.locator(`tr[data-alarm="${id}"]`);
    await row.waitFor({ timeout: WAIT_MS });
    assert(await row.locator("button.ack").isVisible(), "an operator has the button");
    assert(await o.locator('#nav a[data-route="tokens"]').isHidden(), "but no Tokens tab");
    let sent = null;
    o.on("request", (r) => {
      if (r.method() === "POST" && r.url().includes("/alarms/" + id + "/ack")) {
        sent = r.headers().authorization || "";
      }
    });
    await row.locator("button.ack").click();
    await o.waitForFunction((i) => {
      const r = document.querySelector(`tr[data-alarm="${i}"]`);
      return r && r.dataset.state === "acked";
    }, id, { timeout: WAIT_MS });
    assert(sent === "Bearer " + OPERATOR, "ack carried the operator's token: " + sent);
    const a = (await api("/alarms?state=all")).alarms.find((x) => String(x.id) === id);
    assert(a.state === "acked" && a.acked_at, "controller has it acked");
    await o.screenshot({ path: path.join(SHOTS, "alarms-acked.png"), fullPage: true });

    // an operator drains a node from its page, and resumes it
    await o.goto(BASE + "/#/nodes/pod01-n020");
    const form = o.locator(".node-controls");
    await form.locator("button.drain").waitFor({ state: "visible", timeout: WAIT_MS });
    assert(await form.locator("button.resume").isHidden(), "no Resume on a node in service");
    await o.fill("#drain-reason", "browser drain");
    await form.locator("button.drain").click();
    await form.locator("button.resume").waitFor({ state: "visible", timeout: WAIT_MS });
    const n = await api("/nodes/pod01-n020");
    assert(["drained", "draining"].includes(n.state) && n.reason === "browser drain",
      "drained: " + JSON.stringify([n.state, n.reason, n.drained_by]));
    await o.screenshot({ path: path.join(SHOTS, "node-drained-operator.png"), fullPage: true });
    await form.locator("button.resume").click();
    await form.locator("button.drain").waitFor({ state: "visible", timeout: WAIT_MS });
    const back = await api("/nodes/pod01-n020");
    assert(!["drained", "draining"].includes(back.state), "resumed: " + back.state);
  } finally {
    await o.close();
  }
}

// The admin creates a token, sees it once, and revokes it; the controller
// then refuses it.
async function test_tokens_view() {
  await go("#/tokens");
  await page.fill("#new-user", "carol");
  await page.selectOption("#new-role", "viewer");
  await page.fill("#new-comment", "browser test");
  await page.click('.token-form button[type="submit"]');
  const code = page.locator("#new-token");
  await code.waitFor({ timeout: WAIT_MS });
  const tok = await code.innerText();
  assert(/^pod_[0-9a-f]{64}$/.test(tok), "the new token is shown: " + tok);
  const who = await api("/whoami", tok);
  assert(who.status === 200 && (await who.json()).user === "carol", "and it works");
  const row = page.locator("tr[data-token]", { hasText: "carol" }).first();
  await row.waitFor({ timeout: WAIT_MS });
  await shot("tokens");
  await row.locator("button.revoke").click();
  await page.waitForFunction(() => {
    const r = Array.from(document.querySelectorAll("tr[data-token]"))
      .find((tr) => tr.innerText.includes("carol"));
    return r && r.dataset.revoked === "1";
  }, null, { timeout: WAIT_MS });
  assert((await api("/whoami", tok)).status === 401, "a revoked token is refused");
}

async function test_power_view_marks_source() {
  podctl("power", "cap", "5000");
  try {
    await go("#/power");
    const badge = page.locator(".kpi .source").first();
    await page.waitForFunction(() => {
      const b = document.querySelector(".kpi .source");
      return b && !b.hidden && b.dataset.source === "rest";
    }, null, { timeout: WAIT_MS });
    assert(await badge.innerText() === M.en["source.rest"], "cap marked as set over REST");
    const kpis = (await page.locator(".kpis").innerText()).replace(/\u00a0/g, " ");
    assert(kpis.includes("5.00 MW"), "the cap is shown with its unit: " + kpis);
    await page.locator('tr[data-key="pod01"]').waitFor({ timeout: WAIT_MS });
    await shot("power");
  } finally {
    podctl("power", "cap", "none");
  }
}

async function test_switch_to_chinese() {
  await go("#/");
  assert((await rawKeys()).length === 0, "no raw key in English");
  await page.selectOption("#lang", "zh");
  await page.waitForFunction((s) => document.querySelector('#nav [data-route="fabric"]')
    .textContent === s, M.zh["nav.fabric"], { timeout: WAIT_MS });
  assert(await page.evaluate(() => document.documentElement.lang) === "zh-Hans", "html lang");
  // every static label follows
  const wrong = await page.$$eval("[data-i18n]", (es, zh) => es.filter((e) =>
    e.textContent !== zh[e.dataset.i18n]).map((e) => e.dataset.i18n), M.zh);
  assert(wrong.length === 0, "static labels in Chinese: " + wrong);
  // every view, in Chinese, shows no raw key and has its screenshot
  for (const [name, hash, ready] of [
    ["fabric", "#/", 'tr[data-key="pod01"]'],
    ["pod", "#/pods/pod01", '[data-node="pod01-n128"]'],
    ["node", "#/nodes/pod01-n001", ".accels tbody tr"],
    ["jobs", "#/jobs", `tr[data-job="${jobPending}"]`],
    ["alarms", "#/alarms", "tr[data-alarm]"],
    ["tokens", "#/tokens", "tr[data-token]"],
    ["power", "#/power", 'tr[data-key="pod01"]'],
  ]) {
    await go(hash);
    await page.waitForSelector(ready, { timeout: WAIT_MS });
    const h1 = await page.locator("main h1").innerText();
    assert(/[\u4e00-\u9fff]/.test(h1) || /^Pod /.test(h1), name + " heading in Chinese: " + h1);
    const raw = await rawKeys();
    assert(raw.length === 0, name + " shows raw keys: " + raw);
    await shot(name + "-zh");
  }
  const th = await page.locator("main th").first().innerText();
  assert(th === M.zh["pod.name"], "table heads in Chinese");
  // the choice is kept
  await page.reload();
  await page.waitForSelector("#updated:not(:empty)", { timeout: WAIT_MS });
  assert(await page.locator("#lang").inputValue() === "zh", "language kept over a reload");
  await page.selectOption("#lang", "en");
  await page.waitForFunction((s) => document.querySelector('#nav [data-route="fabric"]')
    .textContent === s, M.en["nav.fabric"], { timeout: WAIT_MS });
}

async function test_browser_language_chooses() {
  const ctx = await context("zh-CN");
  const p = await ctx.newPage();
  watch(p);
  await p.goto(BASE + "/#/");
  await signIn(p, VIEWER, "vera");
  assert(await p.locator("#lang").inputValue() === "zh", "zh-CN browser gets Chinese");
  assert(await p.locator("#sign-out").innerText() === M.zh["auth.sign_out"],
    "the header's sign-in part in Chinese too");
  await ctx.close();
}

// Signing out drops the token: the page is anonymous or asks again.
async function test_sign_out() {
  await go("#/");
  await page.click("#sign-out");
  await page.waitForFunction(() => !document.getElementById("signin").hidden ||
    document.getElementById("whoami").dataset.role === "anonymous", null, { timeout: WAIT_MS });
  assert(await page.evaluate(() => sessionStorage.getItem("pod.token")) === null,
    "the token is gone");
  assert(await page.locator('#nav a[data-route="tokens"]').isHidden(), "no Tokens tab");
}

// A standby's dashboard: GET /status answered 503 `standby` as the
// controller's contract has it (docs/openapi.yaml), here by the browser's
// own request routing. The banner says so and links the active controller;
// a reply naming no http(s) URL gets no link; once the controller answers
// (it has taken over), the banner goes and the page shows its data.
async function test_standby_banner() {
  const p = await page.context().newPage();
  p.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  let active = "http://127.0.0.1:1/";
  await p.route("**/api/v1/status", (route) => route.fulfill({
    status: 503,
    contentType: "application/json",
    headers: { "X-Pod-Active": active },
    body: JSON.stringify({ error: { code: "standby", active,
      message: "this controller is the standby; the active controller is at " + active } }),
  }));
  await p.goto(BASE + "/#/");
  await p.waitForSelector("#banner a", { timeout: WAIT_MS });
  assert(await p.getAttribute("#banner a", "href") === active,
    "the banner links the active controller");
  const text = await p.locator("#banner").innerText();
  assert(text === M.en["error.standby"] + " " + active, "the banner says why: " + text);
  await p.screenshot({ path: path.join(SHOTS, "standby.png"), fullPage: true });
  active = "javascript:alert(1)";
  await p.waitForFunction((s) => document.getElementById("banner").textContent === s &&
    !document.querySelector("#banner a"), M.en["error.standby_unknown"], { timeout: WAIT_MS });
  await p.unroute("**/api/v1/status");
  await p.waitForFunction(() => document.getElementById("banner").hidden &&
    document.getElementById("updated").textContent !== "", null, { timeout: WAIT_MS });
  await p.close();
}

// The dashboard follows the active controller: opened on one that stands
// by, or that stops answering, it moves to the controller whose own
// GET /health says "active", on the same view. The same controller under
// a second origin (OTHER_HOST, which the browser resolves to 127.0.0.1)
// plays the one left: the browser's request routing makes its /status
// answer 503 `standby` naming the other, then fail as a controller that
// is gone does; the page found the other in /health's "controllers".
async function test_follows_the_active() {
  const other = BASE.replace("127.0.0.1", OTHER_HOST);
  assert(other !== BASE, "a second origin for the controller: " + BASE);
  const h = await (await fetch(BASE + "/api/v1/health")).json();
  assert(Array.isArray(h.controllers) && h.controllers.includes(BASE),
    "/health names the site's controllers: " + JSON.stringify(h.controllers));
  const p = await page.context().newPage();
  p.on("pageerror", (e) => errors.push("pageerror: " + e.message));
  const left = (u) => u.hostname === OTHER_HOST && u.pathname === "/api/v1/status";
  await p.route(left, (route) => route.fulfill({
    status: 503,
    contentType: "application/json",
    body: JSON.stringify({ error: { code: "standby", active: BASE,
      message: "this controller is the standby; the active controller is at " + BASE } }),
  }));
  await p.goto(other + "/#/alarms");
  await p.waitForURL(BASE + "/#/alarms", { timeout: WAIT_MS });
  await p.unroute(left);
  await p.route(left, (route) => route.abort("connectionrefused"));
  await p.goto(other + "/#/jobs");
  await p.waitForURL(BASE + "/#/jobs", { timeout: WAIT_MS });
  await p.close();
}

async function test_no_javascript_errors() {
  assert(errors.length === 0, "JavaScript errors:\n  " + errors.join("\n  "));
}

const TESTS = [
  test_message_tables,
  test_sign_in,
  test_fabric_view,
  test_pod_view_shows_128_tiles,
  test_heatmap_modes_and_keyboard,
  test_drained_node_turns_drained,
  test_node_view,
  test_node_trend_charts,
  test_submitted_job_appears_in_queue,
  test_node_shows_recent_attempts,
  test_roles_hide_controls,
  test_power_view_marks_source,
  test_tokens_view,
  test_switch_to_chinese,
  test_browser_language_chooses,
  test_sign_out,
  test_standby_banner,
  test_follows_the_active,
  test_no_javascript_errors,
];

// A context of its own (fresh storage) in the one Chromium.
async function context(locale) {
  return browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
}

async function main() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--host-resolver-rules=MAP " + OTHER_HOST + " 127.0.0.1",
      "--disable-background-networking", "--disable-component-update",
      "--disable-sync"],
  });
  console.log(`node ${process.version}, chromium ${browser.version()} (${CHROMIUM}), ` +
    `playwright-core ${require("playwright-core/package.json").version}`);
  const ctx = await context("en-GB");
  // poll each second instead of five, to keep the test short
  await ctx.addInitScript(() => {
    localStorage.setItem("pod.poll_ms", "1000");
  });
  page = await ctx.newPage();
  watch(page);

  let passed = 0, failed = 0;
  for (const t of TESTS) {
    const start = Date.now();
    try {
      await t();
      passed++;
      console.log(`ok   ${t.name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${t.name}: ${e.message.split("\n").join("\n     ")}`);
      try {
        await shot("FAIL-" + t.name);
      } catch (e2) {
        // the page itself may be gone
      }
    }
  }
  await ctx.close();
  await browser.close();
  console.log(`screenshots in ${SHOTS}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  console.log("0 passed, 1 failed");
  process.exit(1);
});
