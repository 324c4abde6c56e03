// The node view (#/nodes/NAME): its state, its accelerators (power,
// temperature, clock, utilisation, memory), its coolant loop, the job
// attempts that ran there last (the node detail's recent_attempts, lost
// ones included) and trend charts of power and temperature over the last
// hour.
//
// The trends come from GET /api/v1/telemetry?node=&from=&step=, asked for
// once a minute rather than on every refresh (an hour of 30 s steps changes
// little in 5 s). Without samples yet the page says "no history yet"
// instead of drawing charts.
//
// Operators drain the node (with a reason) or resume it from here; the
// form is marked data-needs="operator", so it is hidden from other roles,
// and the controller checks the role again.
"use strict";

(function () {
  const HOUR_MS = 3600 * 1000;
  const STEP_S = 30;
  const TREND_EVERY_MS = 60 * 1000;

  Pod.view("node", {
    mount(root, args) {
      const { t, h, fmt, bar, kpi } = Pod;
      const name = args[0];
      let lastTrend = 0;

      const stateBadge = h("span", { class: "state" });
      const reason = h("p", { class: "reason", hidden: true });
      const notFound = h("p", { class: "empty", hidden: true });
      const podLink = h("a");
      const groupText = h("span");
      const k = {
        power: kpi("node.power"),
        hottest: kpi("node.hottest"),
        accels: kpi("node.accelerators"),
        seen: kpi("node.last_seen"),
      };
      const loop = {
        inlet: kpi("node.inlet"),
        outlet: kpi("node.outlet"),
        delta: kpi("node.delta_t"),
        flow: kpi("node.flow"),
        heat: kpi("node.heat"),
        pressure: kpi("node.pressure"),
        leak: kpi("node.leak"),
      };

      const accels = Pod.table([
        { head: "accel.index", cls: "num", text: (a) => String(a.index) },
        { head: "accel.model", text: (a) => a.model || "–" },
        { head: "accel.power", cls: "barcell", render(td, a, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(a.power_w, a.tdp_w, fmt.watts(a.power_w) + " / " +
            fmt.watts(a.tdp_w));
        } },
        { head: "accel.temp", cls: "barcell", render(td, a, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(a.temp_c, a.temp_crit_c, fmt.temp(a.temp_c) + " / " +
            fmt.temp(a.temp_crit_c));
        } },
        { head: "accel.clock", cls: "num", text: (a) => fmt.mhz(a.clock_mhz) + " / " +
          fmt.mhz(a.clock_max_mhz) },
        { head: "accel.util", cls: "barcell", render(td, a, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, "", true));
          }
          td.firstChild.set(a.util_pct, 100, fmt.pct(a.util_pct, 1));
        } },
        { head: "accel.memory", cls: "num", text: (a) => fmt.mib(a.mem_used_mib) + " / " +
          fmt.mib(a.mem_total_mib) },
        { head: "accel.energy", cls: "num", text: (a) => fmt.energy(a.energy_j) },
      ], (a) => a.index, { empty: "node.no_accels", cls: "accels" });

      // The attempts that ran here last, from the node's detail: lost ones
      // too, which the job list no longer places on this node.
      const attempts = Pod.table([
        { head: "job.id", cls: "num", text: (a) => String(a.job_id) },
        { head: "job.name", text: (a) => a.job_name },
        { head: "job.attempt", cls: "num", text: (a) => String(a.attempt) },
        { head: "job.started", text: (a) => fmt.datetime(a.start) },
        { head: "job.ended", text: (a) => fmt.datetime(a.end) },
        { head: "job.ended_by", render(td, a, isNew) {
          const how = a.ended_by || "running";
          if (isNew) {
            td.appendChild(Pod.badge("ended_by", how));
          }
          Pod.setBadge(td.firstChild, "ended_by", how);
          td.dataset.endedBy = how;
          td.title = a.reason || "";
        } },
        { head: "job.exit", cls: "num", text: (a) => Pod.isNum(a.exit_code) ?
          String(a.exit_code) : "–" },
      ], (a) => a.job_id + "." + a.attempt, { empty: "node.no_attempts",
        cls: "attempts" });

      // drain and resume: one shown at a time, as the node's state allows
      const ctlMsg = h("p", { class: "note", role: "status" });
      const reasonIn = h("input", { type: "text", id: "drain-reason", size: "28",
        autocomplete: "off" });
      // neither until the node's state is known
      const drainPart = h("span", { class: "drain-part", hidden: true },
        h("label", {}, t("node.drain_reason"), " ", reasonIn), " ",
        h("button", { type: "submit", class: "drain", text: t("node.drain") }));
      const resumeBtn = h("button", { type: "button", class: "resume", text: t("node.resume"),
        hidden: true });
      const controls = h("form", { class: "toolbar node-controls", "data-needs": "operator" },
        drainPart, resumeBtn);

      async function act(what, body) {
        try {
          const r = await Pod.api("/nodes/" + encodeURIComponent(name) + "/" + what,
            { method: "POST", body });
          Pod.setText(ctlMsg, t("node." + what + "_done", { node: name,
            state: Pod.tOr("node_state." + r.state, r.state || "") }));
          ctlMsg.className = "note ok";
          reasonIn.value = "";
        } catch (e) {
          Pod.setText(ctlMsg, e.status === 403 ? t("error.forbidden", { error: e.message }) :
            t("node.action_failed", { error: e.message }));
          ctlMsg.className = "note error";
        }
        await Pod.refreshNow();
      }
      controls.addEventListener("submit", (ev) => {
        ev.preventDefault();
        if (!reasonIn.value.trim()) {
          Pod.setText(ctlMsg, t("node.drain_needs_reason"));
          ctlMsg.className = "note error";
          reasonIn.focus();
          return;
        }
        act("drain", { reason: reasonIn.value.trim() });
      });
      resumeBtn.addEventListener("click", () => act("resume", {}));

      const trends = h("div", { class: "trends" });
      const trendNote = h("p", { class: "empty", text: t("node.trend_loading") });

      root.appendChild(h("section", { class: "view view-node" },
        h("nav", { class: "crumbs", "aria-label": t("nav.breadcrumb") },
          Pod.link("#/", t("nav.fabric")), " › ", podLink, " › ", h("span", { text: name })),
        h("h1", {}, t("node.title", { node: name }), " ", stateBadge),
        h("p", { class: "sub" }, groupText),
        reason, notFound, controls, ctlMsg,
        h("div", { class: "kpis" }, Object.values(k).map((x) => x.el)),
        h("h2", { text: t("node.accelerators") }),
        accels.el,
        h("h2", { text: t("node.loop") }),
        h("div", { class: "kpis" }, Object.values(loop).map((x) => x.el)),
        h("h2", { text: t("node.attempts") }),
        attempts.el,
        h("h2", { text: t("node.trends") }),
        trendNote, trends));

      // A key for a series: a short line in its colour and dash.
      function legendLine(s) {
        const ns = "http://www.w3.org/2000/svg";
        const svg = document.createElementNS(ns, "svg");
        svg.setAttribute("viewBox", "0 0 24 8");
        svg.setAttribute("class", "legend-line");
        svg.setAttribute("aria-hidden", "true");
        const l = document.createElementNS(ns, "line");
        const attrs = { x1: 0, x2: 24, y1: 4, y2: 4, stroke: s.colour,
          "stroke-width": 2.5 };
        if (s.dash) {
          attrs["stroke-dasharray"] = s.dash;
        }
        for (const a in attrs) {
          l.setAttribute(a, attrs[a]);
        }
        svg.appendChild(l);
        return svg;
      }

      function chartBox(titleKey, svg, series) {
        return h("figure", { class: "chart-box" },
          h("figcaption", {}, h("span", { class: "chart-title", text: t(titleKey) }),
            h("span", { class: "chart-legend" }, series.map((s) =>
              h("span", { class: "key" }, legendLine(s), s.name + ": " + s.latest)))),
          svg);
      }

      async function refreshTrends() {
        const now = Date.now(), from = now - HOUR_MS;
        // an error reaches the page's banner with the server's message
        const r = await Pod.api("/telemetry?node=" + encodeURIComponent(name) +
          "&from=" + encodeURIComponent(new Date(from).toISOString()) +
          "&step=" + STEP_S);
        const pts = (r.points || []).map((p) => Object.assign({ ms: Date.parse(p.t) }, p))
          .filter((p) => !isNaN(p.ms));
        if (pts.length === 0) {
          trends.replaceChildren();
          Pod.setText(trendNote, t("node.no_history"));
          trendNote.hidden = false;
          return;
        }
        trendNote.hidden = true;
        const last = (key) => {
          for (let i = pts.length - 1; i >= 0; i--) {
            if (Pod.isNum(pts[i][key])) {
              return pts[i][key];
            }
          }
          return null;
        };
        const powerSeries = [{ name: t("trend.power"), colour: "#0072B2", width: 2.5,
          points: pts.map((p) => [p.ms, p.power_w]), latest: fmt.power(last("power_w")) }];
        const tempSeries = [
          { name: t("trend.hottest"), colour: "#D55E00", width: 2.5,
            points: pts.map((p) => [p.ms, p.hottest_c]), latest: fmt.temp(last("hottest_c")) },
          { name: t("trend.outlet"), colour: "#CC79A7", dash: "6 3",
            points: pts.map((p) => [p.ms, p.outlet_c]), latest: fmt.temp(last("outlet_c")) },
          { name: t("trend.inlet"), colour: "#0072B2", dash: "2 3",
            points: pts.map((p) => [p.ms, p.inlet_c]), latest: fmt.temp(last("inlet_c")) },
        ];
        // as wide as the grid's column (two on a wide window, else one)
        const avail = trends.clientWidth || 640;
        const cols = getComputedStyle(trends).gridTemplateColumns.split(" ").length || 1;
        const width = (avail - 12 * (cols - 1)) / cols - 24;
        const common = { from, to: now, fmtT: fmt.hm, width };
        const p = chartBox("trend.power_title", PodCharts.line(Object.assign({
          series: powerSeries, fmtY: (v) => fmt.kw(v), minSpan: 500, zero: true,
          label: t("trend.power_label", { latest: powerSeries[0].latest }) }, common)),
        powerSeries);
        const tc = chartBox("trend.temp_title", PodCharts.line(Object.assign({
          series: tempSeries, fmtY: (v) => fmt.num(v, 0) + "\u00a0°C", minSpan: 5,
          label: t("trend.temp_label", { latest: tempSeries[0].latest }) }, common)),
        tempSeries);
        trends.replaceChildren(p, tc);
      }

      return {
        title: t("node.title", { node: name }),
        async refresh() {
          let n;
          try {
            n = await Pod.api("/nodes/" + encodeURIComponent(name));
          } catch (e) {
            if (e.status === 404) {
              notFound.hidden = false;
              Pod.setText(notFound, t("node.not_found", { node: name }));
              return;
            }
            throw e;
          }
          podLink.href = "#/pods/" + encodeURIComponent(n.pod);
          Pod.setText(podLink, n.pod);
          Pod.setText(groupText, t("node.where", { pod: n.pod,
            group: String(n.group || "").replace(/^.*-/, "") }) +
            (n.agent_version ? " · " + t("node.agent", { v: n.agent_version }) : ""));
          Pod.setBadge(stateBadge, "node_state", n.state);
          stateBadge.dataset.state = n.state;
          const out = n.state === "drained" || n.state === "draining";
          drainPart.hidden = out;
          resumeBtn.hidden = !out;
          reason.hidden = !n.reason;
          Pod.setText(reason, n.reason ? (n.drained_by ?
            t("node.reason_by", { reason: n.reason, who: n.drained_by,
              when: fmt.datetime(n.drained_at) }) :
            t("node.reason_fmt", { reason: n.reason })) : "");

          const acc = n.accelerators || [];
          const tdp = acc.reduce((a, x) => a + (Pod.isNum(x.tdp_w) ? x.tdp_w : 0), 0);
          k.power.set(fmt.power(n.power_w), tdp ? t("node.accel_tdp", { tdp: fmt.power(tdp) }) : "");
          k.hottest.set(fmt.temp(n.hottest_c), "");
          const busy = acc.filter((a) => Pod.isNum(a.util_pct) && a.util_pct > 5).length;
          k.accels.set(fmt.num(acc.length), t("node.accels_busy", { n: fmt.num(busy) }));
          k.seen.set(fmt.ago(n.last_seen), fmt.datetime(n.last_seen));

          loop.inlet.set(fmt.temp(n.inlet_c), "");
          loop.outlet.set(fmt.temp(n.outlet_c), "");
          loop.delta.set(Pod.isNum(n.inlet_c) && Pod.isNum(n.outlet_c) ?
            fmt.num(n.outlet_c - n.inlet_c, 1) + "\u00a0K" : "–", "");
          loop.flow.set(fmt.flow(n.flow_lpm), "");
          loop.heat.set(fmt.power(n.heat_w), "");
          loop.pressure.set(fmt.kpa(n.pressure_kpa), "");
          loop.leak.set(n.leak === true ? t("common.yes") : n.leak === false ?
            t("common.no") : "–", "");
          loop.leak.el.classList.toggle("alert", n.leak === true);

          accels.update(acc);
          attempts.update(n.recent_attempts || []);

          if (Date.now() - lastTrend >= TREND_EVERY_MS) {
            lastTrend = Date.now();
            await refreshTrends();
          }
        },
      };
    },
  });
})();
