// The dashboard's core: language, REST client, formatting, a few DOM
// helpers, the hash router and the poll loop. The views (web/views/*.js)
// register themselves with Pod.view() and are mounted one at a time into
// <main>.
//
// Why it is shaped so: the page must stay live with a 100-pod fabric, so
// each poll asks only what the visible view shows (a view's refresh()), one
// poll at a time, and updates the DOM in place (Pod.keyed) rather than
// rebuilding it, which keeps keyboard focus and scroll position across
// updates. Every label comes from POD_MESSAGES (i18n.js) through Pod.t();
// changing the language re-mounts the view, so views may call t() while
// building and need no per-label bookkeeping.
//
// Signing in: every request carries the token, when there is one, as
// "Authorization: Bearer TOKEN". The token is kept in sessionStorage, so it
// lasts as long as the tab and is not left on disk for the next person at
// the browser. Any 401 opens the sign-in form (a token that was refused is
// dropped); GET /whoami says who the token is, and <body> gets the classes
// can-user, can-operator and can-admin that the role allows, which
// style.css uses to hide every control marked data-needs="ROLE".
"use strict";

const Pod = (function () {
  const LANGS = ["en", "zh"];
  const LOCALE = { en: "en-GB", zh: "zh-CN" };
  const HTML_LANG = { en: "en", zh: "zh-Hans" };
  const DEFAULT_POLL_MS = 5000;

  const state = {
    lang: "en",
    views: {},
    current: null, // the mounted view instance
    route: null, // { view, args, path }
    timer: null,
    generation: 0, // bumps on every mount, so late replies are dropped
    lastStatus: null,
    unacked: 0, // open alarms nobody has acknowledged
    lastOk: null, // Date of the last complete refresh
    token: "", // the bearer token, mirrored in sessionStorage
    // who the controller says we are: undefined until it answered, null
    // for a controller without /whoami, else { user, role } (user null
    // for anonymous reads; role "none" when even reads need a token)
    who: undefined,
    dismissed: false, // the sign-in form was cancelled: a 401 does not
    // open it again until the Sign in button is pressed or a token fails
    controllers: [], // the site's controllers, as GET /health names them
    following: false, // a look for the active controller is under way
  };

  // Roles by what they may do; "user" in data-needs is any valid token.
  const RANK = { none: 0, anonymous: 0, viewer: 1, operator: 2, admin: 3 };

  // ---- settings kept in localStorage (private browsing may refuse) ----

  function load(key, fallback) {
    try {
      const v = window.localStorage.getItem("pod." + key);
      return v === null ? fallback : v;
    } catch (e) {
      return fallback;
    }
  }

  function save(key, value) {
    try {
      window.localStorage.setItem("pod." + key, value);
    } catch (e) {
      // the choice then lasts until the page is closed
    }
  }

  // ---- the token, kept for this tab only ----

  function setToken(tok) {
    state.token = tok || "";
    try {
      if (state.token) {
        window.sessionStorage.setItem("pod.token", state.token);
      } else {
        window.sessionStorage.removeItem("pod.token");
      }
    } catch (e) {
      // kept in memory until the page is closed
    }
  }

  function loadToken() {
    try {
      return window.sessionStorage.getItem("pod.token") || "";
    } catch (e) {
      return "";
    }
  }

  // ---- language ----

  function pickLang() {
    const kept = load("lang", null);
    if (LANGS.includes(kept)) {
      return kept;
    }
    for (const l of navigator.languages || [navigator.language || "en"]) {
      const base = String(l).toLowerCase().split("-")[0];
      if (LANGS.includes(base)) {
        return base;
      }
    }
    return "en";
  }

  // The message for key in the current language, with {name} replaced by
  // params.name. A missing key is a bug: it is logged and the key shown.
  function t(key, params) {
    let s = POD_MESSAGES[state.lang][key];
    if (s === undefined) {
      console.error("i18n: no message '" + key + "' in '" + state.lang + "'");
      s = key;
    }
    if (params) {
      s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? params[k] : m));
    }
    return s;
  }

  // The message for key if there is one, else fallback: for values the
  // server defines (a pending reason, an alarm kind) that a newer
  // controller may extend.
  function tOr(key, fallback) {
    const s = POD_MESSAGES[state.lang][key];
    return s === undefined ? fallback : s;
  }

  function translateStatic(root) {
    for (const e of root.querySelectorAll("[data-i18n]")) {
      e.textContent = t(e.dataset.i18n);
    }
    for (const e of root.querySelectorAll("[data-i18n-label]")) {
      e.setAttribute("aria-label", t(e.dataset.i18nLabel));
    }
  }

  function setLang(lang) {
    state.lang = LANGS.includes(lang) ? lang : "en";
    save("lang", state.lang);
    document.documentElement.lang = HTML_LANG[state.lang];
    document.getElementById("lang").value = state.lang;
    translateStatic(document);
    updateHeader();
    if (state.route) {
      mount(state.route);
    }
  }

  // ---- REST ----

  class ApiError extends Error {
    // active: where the active controller is, when this one is not it
    constructor(status, code, message, active) {
      super(message);
      this.status = status;
      this.code = code;
      this.active = active || "";
    }
  }

  // Fetches /api/v1 + path; resolves to the parsed JSON, rejects with an
  // ApiError (status 0 when the controller cannot be reached). With
  // opts.total, resolves to {body, total}: total is the reply's
  // X-Total-Count (how many matched before the limit), null without one.
  async function api(path, opts) {
    opts = opts || {};
    const headers = { Accept: "application/json" };
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), 10000);
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
    }
    const sent = state.token;
    if (sent) {
      headers.Authorization = "Bearer " + sent;
    }
    let r;
    try {
      r = await fetch("/api/v1" + path, {
        method: opts.method || "GET",
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: ctl.signal,
        cache: "no-store",
      });
    } catch (e) {
      throw new ApiError(0, "unreachable", String(e.message || e));
    } finally {
      clearTimeout(timer);
    }
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    if (r.status === 401) {
      // a token that was refused (wrong, expired, revoked) is dropped;
      // without one, the controller wants one
      if (sent && state.token === sent) {
        setToken("");
        askToken(t("auth.refused"));
        checkWho();
      } else {
        askToken("");
      }
    }
    if (!r.ok) {
      const err = body && body.error ? body.error : {};
      throw new ApiError(r.status, err.code || "http_" + r.status,
        err.message || r.statusText, err.active);
    }
    if (opts.total) {
      const n = r.headers.get("X-Total-Count");
      return { body, total: n === null ? null : Number(n) };
    }
    return body;
  }

  // ---- who is signed in ----

  // Asks GET /whoami who the token is and shows it; hides what the role
  // may not use.
  async function checkWho() {
    try {
      const w = await api("/whoami");
      state.who = { user: w.user || null, role: w.role || "anonymous" };
    } catch (e) {
      if (e.status === 404) {
        state.who = null; // a controller that has no sign-in
      } else if (e.status === 401) {
        state.who = { user: null, role: "none" };
      }
    }
    showWho();
  }

  // 1 when the signed-in role may do what data-needs="need" marks.
  function can(need) {
    if (state.who === undefined) {
      return false;
    }
    if (state.who === null) {
      return need !== "admin"; // no roles: the controller lets all in
    }
    const rank = RANK[state.who.role] || 0;
    return need === "user" ? rank >= 1 : rank >= (RANK[need] || 99);
  }

  function showWho() {
    const b = document.body.classList;
    for (const need of ["user", "operator", "admin"]) {
      b.toggle("can-" + need, can(need));
    }
    const w = state.who;
    const el = document.getElementById("whoami");
    setText(el, w && w.user ? t("auth.signed_in", { user: w.user,
      role: tOr("role." + w.role, w.role) }) :
      w && w.role === "anonymous" ? t("auth.anonymous") : "");
    el.dataset.user = w && w.user ? w.user : "";
    el.dataset.role = w ? w.role : "";
    document.getElementById("sign-in").hidden = w === null || !!(w && w.user);
    document.getElementById("sign-out").hidden = !state.token;
  }

  // Opens the sign-in form; why (when not empty) says what went wrong.
  function askToken(why) {
    const f = document.getElementById("signin");
    const wasHidden = f.hidden;
    if (why) {
      state.dismissed = false;
    } else if (state.dismissed) {
      return;
    }
    if (why || wasHidden) {
      setText(document.getElementById("signin-error"), why || "");
    }
    f.hidden = false;
    if (wasHidden) {
      document.getElementById("token").focus();
    }
  }

  async function signIn(ev) {
    ev.preventDefault();
    const input = document.getElementById("token");
    const tok = input.value.trim();
    input.value = "";
    if (!tok) {
      setText(document.getElementById("signin-error"), t("auth.empty"));
      return;
    }
    setToken(tok);
    await checkWho();
    if (state.token === tok) { // not refused
      document.getElementById("signin").hidden = true;
      poll();
    }
  }

  async function signOut() {
    setToken("");
    await checkWho();
    poll();
  }

  // ---- formatting: every number leaves with its unit ----

  const DASH = "–";
  // numbers and their units never part at the end of a line

  function isNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  // Intl formatters cost far more to make than to use: one per language
  // and option set, kept (a 100-pod table formats thousands of figures).
  const formatters = new Map();
  function formatter(kind, opts) {
    const k = state.lang + "|" + kind + "|" + JSON.stringify(opts);
    let f = formatters.get(k);
    if (!f) {
      f = kind === "num" ? new Intl.NumberFormat(LOCALE[state.lang], opts) :
        new Intl.DateTimeFormat(LOCALE[state.lang], opts);
      formatters.set(k, f);
    }
    return f;
  }

  function num(v, digits) {
    if (!isNum(v)) {
      return DASH;
    }
    return formatter("num", { minimumFractionDigits: digits || 0,
      maximumFractionDigits: digits || 0 }).format(v);
  }

  const fmt = {
    num,
    // W, kW or MW, whichever keeps 3–4 significant digits.
    power(w) {
      if (!isNum(w)) {
        return DASH;
      }
      const a = Math.abs(w);
      if (a >= 1e6) {
        return num(w / 1e6, 2) + "\u00a0MW";
      }
      if (a >= 1e4) {
        return num(w / 1e3, 1) + "\u00a0kW";
      }
      if (a >= 1e3) {
        return num(w / 1e3, 2) + "\u00a0kW";
      }
      return num(w, 0) + "\u00a0W";
    },
    kw(w) {
      return isNum(w) ? num(w / 1e3, 1) + "\u00a0kW" : DASH;
    },
    watts(w) {
      return isNum(w) ? num(w, 0) + "\u00a0W" : DASH;
    },
    temp(c) {
      return isNum(c) ? num(c, 1) + "\u00a0°C" : DASH;
    },
    flow(lpm) {
      return isNum(lpm) ? num(lpm, lpm < 100 ? 1 : 0) + "\u00a0L/min" : DASH;
    },
    // Operators count energy in kWh; the API in J.
    energy(j) {
      if (!isNum(j)) {
        return DASH;
      }
      const kwh = j / 3.6e6;
      if (kwh < 1) {
        return num(kwh * 1000, kwh < 0.01 ? 2 : 1) + "\u00a0Wh";
      }
      if (kwh >= 1000) {
        return num(kwh / 1000, 2) + "\u00a0MWh";
      }
      return num(kwh, kwh < 10 ? 2 : 1) + "\u00a0kWh";
    },
    pct(v, digits) {
      return isNum(v) ? num(v, digits || 0) + "%" : DASH;
    },
    mhz(v) {
      return isNum(v) ? num(v, 0) + "\u00a0MHz" : DASH;
    },
    kpa(v) {
      return isNum(v) ? num(v, 0) + "\u00a0kPa" : DASH;
    },
    mib(v) {
      return isNum(v) ? num(v / 1024, 1) + "\u00a0GiB" : DASH;
    },
    // Wall-clock time of an ISO string (or ms), in the viewer's zone.
    time(iso) {
      if (iso === null || iso === undefined) {
        return DASH;
      }
      const d = new Date(iso);
      return isNaN(d) ? DASH : d.toLocaleTimeString(LOCALE[state.lang],
        { hour12: false });
    },
    datetime(iso) {
      if (!iso) {
        return DASH;
      }
      const d = new Date(iso);
      return isNaN(d) ? DASH : formatter("datetime", {
        month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        second: "2-digit", hour12: false }).format(d);
    },
    hm(ms) {
      return new Date(ms).toLocaleTimeString(LOCALE[state.lang],
        { hour: "2-digit", minute: "2-digit", hour12: false });
    },
    duration(s) {
      if (!isNum(s)) {
        return DASH;
      }
      s = Math.max(0, Math.round(s));
      if (s < 60) {
        return t("dur.s", { s });
      }
      if (s < 3600) {
        return s % 60 ? t("dur.ms", { m: Math.floor(s / 60), s: s % 60 }) :
          t("dur.m", { m: s / 60 });
      }
      if (s < 86400) {
        const m = Math.floor((s % 3600) / 60);
        return m ? t("dur.hm", { h: Math.floor(s / 3600), m }) :
          t("dur.h", { h: Math.floor(s / 3600) });
      }
      return t("dur.dh", { d: Math.floor(s / 86400),
        h: Math.floor((s % 86400) / 3600) });
    },
    // Seconds from an ISO time to now (null when unknown).
    since(iso) {
      if (!iso) {
        return null;
      }
      const ms = Date.parse(iso);
      return isNaN(ms) ? null : (Date.now() - ms) / 1000;
    },
    ago(iso) {
      const s = fmt.since(iso);
      return s === null ? DASH : t("dur.ago", { d: fmt.duration(s) });
    },
  };

  // "pod01-n001 pod01-n002 pod01-n003 pod01-n007" -> "pod01-n[001-003,007]"
  function nodeRange(names) {
    const groups = new Map();
    for (const n of names || []) {
      const m = /^(.*?)(\d+)$/.exec(n);
      const prefix = m ? m[1] : n, digits = m ? m[2] : "";
      if (!groups.has(prefix)) {
        groups.set(prefix, []);
      }
      groups.get(prefix).push(digits);
    }
    const out = [];
    for (const [prefix, list] of groups) {
      const nums = list.filter((d) => d !== "").map((d) => [Number(d), d])
        .sort((a, b) => a[0] - b[0]);
      if (nums.length === 0) {
        out.push(prefix);
        continue;
      }
      if (nums.length === 1) {
        out.push(prefix + nums[0][1]);
        continue;
      }
      const parts = [];
      for (let i = 0; i < nums.length;) {
        let j = i;
        while (j + 1 < nums.length && nums[j + 1][0] === nums[j][0] + 1) {
          j++;
        }
        parts.push(i === j ? nums[i][1] : nums[i][1] + "-" + nums[j][1]);
        i = j + 1;
      }
      out.push(prefix + "[" + parts.join(",") + "]");
    }
    return out.join(",");
  }

  // The pod of a node or pod name ("pod01-n003" -> "pod01").
  function podOf(name) {
    return String(name || "").split("-")[0];
  }

  // ---- DOM ----

  // h("a", {href: "#/", class: "x", onclick: f}, "text", child, [more])
  function h(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) {
        continue;
      }
      if (k.startsWith("on")) {
        e.addEventListener(k.slice(2), v);
      } else if (k === "class") {
        e.className = v;
      } else if (k === "text") {
        e.textContent = v;
      } else if (k === "value" || k === "checked") {
        e[k] = v;
      } else {
        e.setAttribute(k, v === true ? "" : v);
      }
    }
    append(e, children);
    return e;
  }

  function append(e, children) {
    for (const c of children) {
      if (c === null || c === undefined || c === false) {
        continue;
      }
      if (Array.isArray(c)) {
        append(e, c);
      } else {
        e.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
      }
    }
  }

  // Sets an element's text only when it changed (no needless layout).
  function setText(e, s) {
    s = String(s);
    if (e.textContent !== s) {
      e.textContent = s;
    }
  }

  // Makes parent's children match items, in order, reusing the child whose
  // data-key is keyOf(item): create(item) makes a new one, update(el, item)
  // refreshes it. Children without a data-key are left alone at the end.
  function keyed(parent, items, keyOf, create, update) {
    const old = new Map();
    for (const c of Array.from(parent.children)) {
      if (c.dataset.key !== undefined) {
        old.set(c.dataset.key, c);
      }
    }
    let prev = null;
    for (const item of items) {
      const k = String(keyOf(item));
      let e = old.get(k);
      if (e) {
        old.delete(k);
      } else {
        e = create(item);
        e.dataset.key = k;
      }
      update(e, item);
      const want = prev ? prev.nextSibling : parent.firstChild;
      if (e !== want) {
        parent.insertBefore(e, want);
      }
      prev = e;
    }
    for (const e of old.values()) {
      e.remove();
    }
  }

  // A table whose rows follow a list. cols: [{head: key, cls, text(item) |
  // render(td, item, isNew)}]. Returns {el, update(items)}; an empty list
  // shows the message of the key `empty`.
  function table(cols, keyOf, opts) {
    opts = opts || {};
    const tbody = h("tbody");
    const empty = h("p", { class: "empty", text: t(opts.empty || "common.none") });
    const tbl = h("table", { class: "data" + (opts.cls ? " " + opts.cls : "") },
      opts.caption ? h("caption", { class: "sr-only", text: opts.caption }) : null,
      h("thead", {}, h("tr", {}, cols.map((c) =>
        h("th", { class: c.cls || null, scope: "col", text: t(c.head) })))),
      tbody);
    const el = h("div", { class: "table-wrap" }, tbl, empty);
    function update(items) {
      keyed(tbody, items, keyOf, (item) => {
        const tr = h("tr", {}, cols.map((c) => h("td", { class: c.cls || null })));
        tr._new = true;
        if (opts.row) {
          opts.row(tr, item, true);
        }
        return tr;
      }, (tr, item) => {
        cols.forEach((c, i) => {
          const td = tr.children[i];
          if (c.render) {
            c.render(td, item, tr._new);
          } else {
            setText(td, c.text(item));
          }
        });
        if (opts.row && !tr._new) {
          opts.row(tr, item, false);
        }
        tr._new = false;
      });
      tbl.hidden = items.length === 0;
      empty.hidden = items.length !== 0;
    }
    update([]);
    return { el, update };
  }

  // A horizontal bar of value against max, with its text. Colour follows
  // the fill (under 80 %, to 95 %, over), and so does a pattern, so the
  // level reads without colour.
  // A neutral bar (utilisation) has no levels.
  function bar(value, max, text, neutral) {
    const fill = h("span", { class: "fill" });
    const label = h("span", { class: "bar-text" });
    const e = h("span", { class: neutral ? "bar neutral" : "bar" }, fill, label);
    e.set = function (v, m, s) {
      const f = isNum(v) && isNum(m) && m > 0 ? v / m : null;
      fill.style.width = f === null ? "0" : Math.min(100, f * 100).toFixed(1) + "%";
      e.dataset.level = f === null || neutral ? "none" : f > 0.95 ? "over" :
        f > 0.8 ? "high" : "ok";
      setText(label, s);
      e.title = f === null ? s : s + " (" + fmt.pct(f * 100) + ")";
    };
    e.set(value, max, text);
    return e;
  }

  // A labelled figure for the summary rows: {el, set(text, sub)}.
  function kpi(labelKey) {
    const value = h("span", { class: "kpi-value", text: DASH });
    const sub = h("span", { class: "kpi-sub" });
    const e = h("div", { class: "kpi" }, h("span", { class: "kpi-label",
      text: t(labelKey) }), value, sub);
    return {
      el: e, value, sub,
      set(v, s) {
        setText(value, v);
        setText(sub, s === undefined ? "" : s);
      },
    };
  }

  function link(href, text, attrs) {
    return h("a", Object.assign({ href, text }, attrs || {}));
  }

  function nodeLink(name) {
    return link("#/nodes/" + encodeURIComponent(name), name);
  }

  // A badge for a node, job or alarm state: text plus a class for colour.
  function badge(kind, value) {
    return h("span", { class: "state " + kind + "-" + value,
      text: tOr(kind + "." + value, value) });
  }

  function setBadge(e, kind, value) {
    e.className = "state " + kind + "-" + value;
    setText(e, tOr(kind + "." + value, value));
  }

  // ---- views and routing ----

  // Registers a view: {mount(root, args) -> {refresh(ctx), unmount?()}}.
  function view(name, def) {
    state.views[name] = def;
  }

  // Route table: hash path pattern ("*" matches one segment) -> view.
  const ROUTES = [
    ["", "fabric"],
    ["pods", "fabric"],
    ["pods/*", "pod"],
    ["nodes/*", "node"],
    ["jobs", "jobs"],
    ["alarms", "alarms"],
    ["power", "power"],
    ["tokens", "tokens"],
  ];

  function parseHash() {
    const path = location.hash.replace(/^#\/?/, "").replace(/\/$/, "");
    const segs = path === "" ? [] : path.split("/").map(decodeURIComponent);
    for (const [pattern, name] of ROUTES) {
      const p = pattern === "" ? [] : pattern.split("/");
      if (p.length !== segs.length) {
        continue;
      }
      const args = [];
      if (p.every((s, i) => (s === "*" ? args.push(segs[i]) : s === segs[i]))) {
        return { view: name, args, path };
      }
    }
    return { view: null, args: [], path };
  }

  function mount(route) {
    if (state.current && state.current.unmount) {
      state.current.unmount();
    }
    state.current = null;
    state.route = route;
    state.generation++;
    const main = document.getElementById("main");
    main.replaceChildren();
    delete main.dataset.rendered;
    for (const a of document.querySelectorAll("#nav a")) {
      const here = a.dataset.route === route.view ||
        (a.dataset.route === "fabric" && (route.view === "pod" || route.view === "node"));
      if (here) {
        a.setAttribute("aria-current", "page");
      } else {
        a.removeAttribute("aria-current");
      }
    }
    const def = state.views[route.view];
    if (!def) {
      main.appendChild(h("section", {}, h("h1", { text: t("error.no_page") }),
        h("p", {}, link("#/", t("nav.fabric")))));
      document.title = t("app.title");
      poll(); // the header stays live
      return;
    }
    state.current = def.mount(main, route.args);
    document.title = (state.current.title || t("nav." + route.view)) + " · " +
      t("app.title");
    poll();
  }

  function onHashChange() {
    const r = parseHash();
    const focus = state.route !== null;
    mount(r);
    if (focus) {
      // take keyboard users to the new content, as a page load would
      document.getElementById("main").focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
  }

  // ---- the poll loop ----

  function pollMs() {
    const v = Number(load("poll_ms", DEFAULT_POLL_MS));
    return isNum(v) && v >= 500 ? v : DEFAULT_POLL_MS;
  }

  // s when it is an http(s) URL, else "": what a reply names is linked
  // only so.
  function httpUrl(s) {
    return /^https?:\/\/[^\s"<>]+$/.test(s || "") ? s : "";
  }

  // Shows text in the banner (none hides it), followed by a link to href
  // when one is given.
  function banner(text, href) {
    const b = document.getElementById("banner");
    const a = b.querySelector("a");
    b.hidden = !text;
    if (!href) {
      setText(b, text || "");
      return;
    }
    if (b.firstChild && b.firstChild.nodeType === Node.TEXT_NODE &&
        b.firstChild.textContent === text + " " && a &&
        a.getAttribute("href") === href) {
      return;
    }
    const l = document.createElement("a");
    l.href = href;
    l.textContent = href;
    b.replaceChildren(document.createTextNode(text + " "), l);
  }

  // The site's controllers, as GET /health names them: where the page
  // looks for the active one when this controller stands by or cannot be
  // reached.
  async function learnControllers() {
    try {
      const h = await api("/health");
      if (Array.isArray(h.controllers)) {
        state.controllers = h.controllers.filter((u) => httpUrl(u));
      }
    } catch (e) {
      // a controller that cannot say keeps the list the page had
    }
  }

  // Moves the page to the active controller's dashboard, on the same
  // view: the first of hint (where this controller says the active one
  // is) and the site's controllers whose own GET /health says "active".
  // Never to this controller, one look at a time, and nowhere when none
  // leads (the page goes on polling this one).
  async function followActive(hint) {
    if (state.following) {
      return;
    }
    state.following = true;
    const seen = new Set([location.origin]);
    try {
      for (const url of [httpUrl(hint)].concat(state.controllers)) {
        const base = url.replace(/\/+$/, "");
        let origin = "";
        try {
          origin = new URL(base).origin;
        } catch (e) {
          continue; // "" or not a URL
        }
        if (seen.has(origin)) {
          continue;
        }
        seen.add(origin);
        const ctl = new AbortController();
        const timer = setTimeout(() => ctl.abort(), 3000);
        try {
          const r = await fetch(base + "/api/v1/health",
            { cache: "no-store", signal: ctl.signal });
          const h = await r.json();
          if (r.ok && h.role === "active") {
            location.assign(base + "/" + location.hash);
            return;
          }
        } catch (e) {
          // not reachable, or not a controller: the next one
        } finally {
          clearTimeout(timer);
        }
      }
    } finally {
      state.following = false;
    }
  }

  // The banner for a failed refresh.
  function showError(e) {
    if (e.code === "standby") {
      // a standby's dashboard: it goes on polling, and shows this
      // controller's data once it takes over
      const active = httpUrl(e.active);
      banner(t(active ? "error.standby" : "error.standby_unknown"), active);
    } else if (e.status === 401) {
      // the sign-in form is open, and says why
      banner(state.dismissed ? t("auth.needed") : "");
    } else if (e.status === 403) {
      banner(t("error.forbidden", { error: e.message }));
    } else if (e.status === 0) {
      banner(t("error.unreachable", { error: e.message }) +
        (state.lastOk ? " " + t("error.stale", { time: fmt.time(state.lastOk) }) : ""));
    } else {
      banner(t("error.api", { error: e.message }));
    }
  }

  function updateHeader() {
    const badgeEl = document.getElementById("alarm-badge");
    const n = state.unacked;
    badgeEl.hidden = !n;
    setText(badgeEl, n ? String(n) : "");
    badgeEl.setAttribute("aria-label", t("nav.alarms_open", { n }));
    setText(document.getElementById("updated"), state.lastOk ?
      t("app.updated", { time: fmt.time(state.lastOk) }) : "");
    showWho();
  }

  // One refresh of the header and the mounted view; schedules the next.
  // The header needs /status only: it counts the alarms (alarms_unacked),
  // so no view downloads the alarm list to count it. After a view's first
  // refresh the page sets the performance marks "pod.rendered" (the DOM is
  // built) and "pod.painted" (the frame after), and <main> gets
  // data-rendered="VIEW": what tools/bench/dashboard times.
  async function poll() {
    clearTimeout(state.timer);
    const gen = state.generation;
    const view = state.current;
    if (!document.hidden) {
      try {
        const status = await api("/status");
        state.lastStatus = status;
        state.unacked = status.alarms_unacked || 0;
        if (view && view.refresh && gen === state.generation) {
          await view.refresh({ status });
        }
        if (gen === state.generation) {
          state.lastOk = new Date();
          banner("");
          markRendered(gen);
        }
      } catch (e) {
        if (gen === state.generation) {
          showError(e);
          if (e.code === "standby" || e.status === 0) {
            followActive(e.active);
          }
        }
      }
      updateHeader();
    }
    if (gen === state.generation) {
      state.timer = setTimeout(poll, pollMs());
    }
  }

  // The first complete refresh of a mounted view, for the benchmark.
  function markRendered(gen) {
    const main = document.getElementById("main");
    if (!state.route || main.dataset.renderedGen === String(gen)) {
      return;
    }
    main.dataset.renderedGen = String(gen);
    const name = state.route.view;
    try {
      performance.mark("pod.rendered", { detail: name });
    } catch (e) {
      // marks are a measurement aid only
    }
    requestAnimationFrame(() => setTimeout(() => {
      if (gen !== state.generation) {
        return;
      }
      try {
        performance.mark("pod.painted", { detail: name });
      } catch (e) {
        // idem
      }
      main.dataset.rendered = name;
    }, 0));
  }

  function start() {
    state.token = loadToken();
    document.getElementById("signin").addEventListener("submit", signIn);
    document.getElementById("signin-cancel").addEventListener("click", () => {
      document.getElementById("signin").hidden = true;
      state.dismissed = true;
    });
    document.getElementById("sign-in").addEventListener("click", () => {
      state.dismissed = false;
      askToken("");
    });
    document.getElementById("sign-out").addEventListener("click", signOut);
    const sel = document.getElementById("lang");
    sel.addEventListener("change", () => setLang(sel.value));
    window.addEventListener("hashchange", onHashChange);
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) {
        poll();
      }
    });
    state.lang = pickLang();
    document.documentElement.lang = HTML_LANG[state.lang];
    sel.value = state.lang;
    translateStatic(document);
    showWho();
    checkWho();
    learnControllers();
    onHashChange();
  }

  window.addEventListener("DOMContentLoaded", start);

  return {
    t, tOr, api, fmt, h, setText, keyed, table, bar, kpi, link, nodeLink,
    badge, setBadge, nodeRange, podOf, view, load, save, isNum, can,
    get lang() {
      return state.lang;
    },
    get generation() {
      return state.generation;
    },
    get who() {
      return state.who;
    },
    refreshNow: poll,
  };
})();
