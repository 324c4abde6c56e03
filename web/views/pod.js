// The pod view (#/pods/NAME): the pod's figures, then a heatmap of its
// nodes grouped by leaf group, coloured by the hottest accelerator's
// temperature, by power or by state, and the jobs running in the pod.
//
// Each tile is an <a data-node="pod01-n001" data-state="…"> so a click or
// Enter opens the node. Drained, draining and down nodes (and leaks) carry a
// hatch, a heavy border and a mark glyph in every colouring, so they stand
// out without relying on colour. The tiles form one roving-tabindex grid:
// Tab enters it once, the arrow keys, Home and End move inside it.
// Temperatures use a fixed 25–85 °C viridis scale so a colour means the same
// temperature on every pod and every day; power uses cividis from 0 to the
// node's share of the pod's budget.
"use strict";

(function () {
  const TEMP_LO = 25, TEMP_HI = 85;
  const MODES = ["temp", "power", "state"];
  // Node state -> the glyph shown on its tile (none for the working states).
  const MARK = { drained: "⊘", draining: "◐", down: "✕" };
  const STATES = ["idle", "mixed", "allocated", "draining", "drained", "down"];

  function shortName(node) {
    const m = /-n(\d+)$/.exec(node);
    return m ? m[1] : node;
  }

  // Moves focus among tiles by arrow keys, by geometry so it follows the
  // layout whatever the window width.
  function neighbour(tiles, from, key) {
    const r0 = from.getBoundingClientRect();
    const cx = r0.left + r0.width / 2, cy = r0.top + r0.height / 2;
    let best = null, bestScore = Infinity;
    for (const tile of tiles) {
      if (tile === from) {
        continue;
      }
      const r = tile.getBoundingClientRect();
      const x = r.left + r.width / 2, y = r.top + r.height / 2;
      const dx = x - cx, dy = y - cy;
      let ok, score;
      if (key === "ArrowRight" || key === "ArrowLeft") {
        ok = Math.abs(dy) < r0.height / 2 && (key === "ArrowRight" ? dx > 0 : dx < 0);
        score = Math.abs(dx);
      } else {
        ok = key === "ArrowDown" ? dy > r0.height / 2 : dy < -r0.height / 2;
        score = Math.abs(dy) * 4 + Math.abs(dx);
      }
      if (ok && score < bestScore) {
        best = tile;
        bestScore = score;
      }
    }
    return best;
  }

  Pod.view("pod", {
    mount(root, args) {
      const { t, h, fmt, bar, kpi } = Pod;
      const name = args[0];
      let mode = Pod.load("heatmap_mode", "temp");
      if (!MODES.includes(mode)) {
        mode = "temp";
      }
      let nodes = [], budgetPerNode = null, runningJobs = [];

      const k = {
        nodes: kpi("pod.nodes_up"),
        power: kpi("pod.power"),
        heat: kpi("pod.heat"),
        coolant: kpi("fabric.coolant"),
        flow: kpi("pod.flow"),
        hottest: kpi("fabric.hottest"),
        leaks: kpi("pod.leaks"),
      };
      const powerBar = bar(null, null, ""), heatBar = bar(null, null, "");
      k.power.el.appendChild(powerBar);
      k.heat.el.appendChild(heatBar);

      const modeButtons = MODES.map((m) => h("button", { type: "button",
        class: "seg", "data-mode": m, "aria-pressed": String(m === mode),
        text: t("heatmap.by_" + m), onclick: () => setMode(m) }));
      const legend = h("div", { class: "legend", "aria-live": "polite" });
      const groupsEl = h("div", { class: "groups", role: "group",
        "aria-label": t("heatmap.label", { pod: name }) });
      const notFound = h("p", { class: "empty", hidden: true });

      const jobs = Pod.table([
        { head: "job.id", cls: "num", render(td, j, isNew) {
          if (isNew) {
            td.textContent = String(j.id);
          }
        } },
        { head: "job.name", text: (j) => j.name },
        { head: "job.size", cls: "num", text: (j) => t("job.size_fmt", {
          nodes: fmt.num(j.nnodes), accels: fmt.num(j.accelerators_total) }) },
        { head: "job.placement", cls: "mono", text: (j) => Pod.nodeRange(j.nodes) },
        { head: "job.started", text: (j) => fmt.datetime(j.start_time) },
        { head: "job.energy", cls: "num", text: (j) => fmt.energy(j.energy_j) },
      ], (j) => j.id, { empty: "pod.no_jobs", row(tr, j, isNew) {
        if (isNew) {
          // point at the job's nodes on the heatmap
          tr.tabIndex = 0;
          const on = () => highlight(j.nodes);
          const off = () => highlight([]);
          tr.addEventListener("mouseenter", on);
          tr.addEventListener("focus", on);
          tr.addEventListener("mouseleave", off);
          tr.addEventListener("blur", off);
        }
      } });

      root.appendChild(h("section", { class: "view view-pod" },
        h("nav", { class: "crumbs", "aria-label": t("nav.breadcrumb") },
          Pod.link("#/", t("nav.fabric")), " › ", h("span", { text: name })),
        h("h1", { text: t("pod.title", { pod: name }) }),
        notFound,
        h("div", { class: "kpis" }, Object.values(k).map((x) => x.el)),
        h("div", { class: "toolbar" },
          h("span", { class: "toolbar-label", id: "mode-label", text: t("heatmap.colour_by") }),
          h("div", { class: "segs", role: "group", "aria-labelledby": "mode-label" },
            modeButtons),
          legend),
        groupsEl,
        h("h2", { text: t("pod.jobs") }),
        jobs.el));

      function highlight(list) {
        const want = new Set(list);
        for (const tile of groupsEl.querySelectorAll(".tile")) {
          tile.classList.toggle("hl", want.has(tile.dataset.node));
        }
      }

      function setMode(m) {
        mode = m;
        Pod.save("heatmap_mode", m);
        for (const b of modeButtons) {
          b.setAttribute("aria-pressed", String(b.dataset.mode === m));
        }
        drawLegend();
        paint();
      }

      function drawLegend() {
        const C = PodCharts;
        if (mode === "state") {
          legend.replaceChildren(...STATES.map((s) => h("span", { class: "key" },
            h("span", { class: "swatch tile-like st-" + s, "aria-hidden": "true",
              text: MARK[s] || "" }),
            t("node_state." + s))));
        } else {
          const temp = mode === "temp";
          const hi = temp ? TEMP_HI : budgetPerNode;
          const ticks = temp ? [25, 40, 55, 70, 85] :
            Pod.isNum(hi) ? [0, hi / 2, hi] : [];
          legend.replaceChildren(
            h("span", { class: "scale" },
              h("span", { class: "ramp", style: "background:" +
                C.gradient(temp ? "viridis" : "cividis") }),
              h("span", { class: "scale-ticks" }, ticks.map((v) =>
                h("span", { text: temp ? fmt.num(v) + "\u00a0°C" : fmt.kw(v) })))),
            h("span", { class: "scale-note", text: temp ? t("heatmap.temp_note") :
              t("heatmap.power_note") }));
        }
        // the state swatches already show the marks of the states
        legend.appendChild(h("span", { class: "marks" },
          (mode === "state" ? [] : ["drained", "draining", "down"]).map((s) => h("span", { class: "key" },
            h("span", { class: "mark-key", "aria-hidden": "true", text: MARK[s] }),
            t("node_state." + s))),
          h("span", { class: "key" },
            h("span", { class: "mark-key", "aria-hidden": "true", text: "⚠" }),
            t("node.leak"))));
      }

      // Colours one tile for the current mode and the node's data.
      function paintTile(tile, n) {
        let rgb = null;
        if (mode === "temp" && Pod.isNum(n.hottest_c) && n.state !== "down") {
          rgb = PodCharts.ramp("viridis", (n.hottest_c - TEMP_LO) / (TEMP_HI - TEMP_LO));
        } else if (mode === "power" && Pod.isNum(n.power_w) && n.state !== "down" &&
          Pod.isNum(budgetPerNode)) {
          rgb = PodCharts.ramp("cividis", n.power_w / budgetPerNode);
        }
        tile.classList.toggle("by-state", mode === "state");
        tile.classList.toggle("no-data", mode !== "state" && rgb === null);
        if (rgb) {
          tile.style.setProperty("--bg", PodCharts.css(rgb));
          tile.style.setProperty("--ink", PodCharts.ink(rgb));
        } else {
          tile.style.removeProperty("--bg");
          tile.style.removeProperty("--ink");
        }
      }

      function updateTile(tile, n) {
        if (tile.dataset.state !== n.state) {
          tile.classList.remove("st-" + tile.dataset.state);
          tile.classList.add("st-" + n.state);
          tile.dataset.state = n.state;
        }
        tile.classList.toggle("leak", n.leak === true);
        Pod.setText(tile.querySelector(".mark"), n.leak === true ? "⚠" : MARK[n.state] || "");
        const stateText = t("node_state." + n.state);
        const parts = [n.name, stateText, t("heatmap.tile_temp", { v: fmt.temp(n.hottest_c) }),
          t("heatmap.tile_power", { v: fmt.power(n.power_w) })];
        if (n.leak === true) {
          parts.push(t("node.leak"));
        }
        if (n.reason) {
          parts.push(t("node.reason_fmt", { reason: n.reason }));
        }
        tile.setAttribute("aria-label", parts.join(", "));
        tile.title = parts.join("\n");
        paintTile(tile, n);
      }

      function paint() {
        const byName = new Map(nodes.map((n) => [n.name, n]));
        for (const tile of groupsEl.querySelectorAll(".tile")) {
          const n = byName.get(tile.dataset.node);
          if (n) {
            paintTile(tile, n);
          }
        }
      }

      function onKey(ev) {
        const tile = ev.target.closest(".tile");
        if (!tile) {
          return;
        }
        const tiles = Array.from(groupsEl.querySelectorAll(".tile"));
        let next = null;
        if (ev.key === "Home") {
          next = tiles[0];
        } else if (ev.key === "End") {
          next = tiles[tiles.length - 1];
        } else if (ev.key.startsWith("Arrow")) {
          next = neighbour(tiles, tile, ev.key);
        } else if (ev.key === " ") {
          // Space opens too, as on a button; Enter is the link's own
          ev.preventDefault();
          tile.click();
          return;
        } else {
          return;
        }
        ev.preventDefault();
        if (next) {
          tile.tabIndex = -1;
          next.tabIndex = 0;
          next.focus();
        }
      }
      groupsEl.addEventListener("keydown", onKey);

      function render() {
        const groups = new Map();
        for (const n of nodes) {
          if (!groups.has(n.group)) {
            groups.set(n.group, []);
          }
          groups.get(n.group).push(n);
        }
        const list = Array.from(groups, ([g, members]) => ({ g, members }));
        Pod.keyed(groupsEl, list, (x) => x.g, (x) => {
          const label = x.g.replace(/^.*-/, "");
          return h("div", { class: "group", role: "group",
            "aria-label": t("heatmap.group", { group: label }) },
          h("div", { class: "group-head" }, h("span", { class: "group-name",
            text: t("heatmap.group", { group: label }) }), h("span", { class: "group-sum" })),
          h("div", { class: "tiles" }));
        }, (el, x) => {
          const up = x.members.filter((n) => n.state !== "down").length;
          const power = x.members.reduce((a, n) => a + (Pod.isNum(n.power_w) ? n.power_w : 0), 0);
          Pod.setText(el.querySelector(".group-sum"), t("heatmap.group_sum", {
            up: fmt.num(up), total: fmt.num(x.members.length), power: fmt.power(power) }));
          Pod.keyed(el.querySelector(".tiles"), x.members, (n) => n.name, (n) => {
            const tile = h("a", { class: "tile st-" + n.state, href: "#/nodes/" +
              encodeURIComponent(n.name), "data-node": n.name, "data-state": n.state,
            tabindex: "-1" },
            h("span", { class: "num", text: shortName(n.name) }),
            h("span", { class: "mark", "aria-hidden": "true" }));
            return tile;
          }, updateTile);
        });
        const tiles = groupsEl.querySelectorAll(".tile");
        if (tiles.length && !groupsEl.querySelector('.tile[tabindex="0"]')) {
          tiles[0].tabIndex = 0;
        }
      }

      drawLegend();

      return {
        title: t("pod.title", { pod: name }),
        async refresh() {
          let pod;
          try {
            pod = await Pod.api("/pods/" + encodeURIComponent(name));
          } catch (e) {
            if (e.status === 404) {
              notFound.hidden = false;
              Pod.setText(notFound, t("pod.not_found", { pod: name }));
              return;
            }
            throw e;
          }
          const [nodesR, jobsR] = await Promise.all([
            Pod.api("/nodes?pod=" + encodeURIComponent(name)),
            Pod.api("/jobs?state=running&pod=" + encodeURIComponent(name))]);
          const s = pod.nodes_by_state || {};
          k.nodes.set(fmt.num(pod.nodes_up) + " / " + fmt.num(pod.nodes_total),
            t("fabric.nodes_sub", { drained: fmt.num((s.drained || 0) + (s.draining || 0)),
              down: fmt.num(s.down || 0), allocated: fmt.num((s.allocated || 0) + (s.mixed || 0)) }));
          k.power.set(fmt.power(pod.power_w), t("fabric.of_budget", { budget: fmt.power(pod.budget_w) }));
          powerBar.set(pod.power_w, pod.budget_w, "");
          k.heat.set(fmt.power(pod.heat_w), t("fabric.of_capacity",
            { capacity: fmt.power(pod.cooling_capacity_w) }));
          heatBar.set(pod.heat_w, pod.cooling_capacity_w, "");
          k.coolant.set(fmt.num(pod.supply_c, 1) + " → " + fmt.temp(pod.return_c),
            t("fabric.coolant_sub"));
          k.flow.set(fmt.flow(pod.flow_lpm), "");
          k.hottest.set(fmt.temp(pod.hottest_c), "");
          k.leaks.set(fmt.num(pod.leaks || 0), "");
          k.leaks.el.classList.toggle("alert", pod.leaks > 0);

          const perNode = pod.budget_w / Math.max(1, pod.nodes_total);
          if (perNode !== budgetPerNode) {
            budgetPerNode = perNode;
            drawLegend();
          }
          nodes = nodesR.nodes;
          render();
          runningJobs = jobsR.jobs.filter((j) => (j.nodes || []).some((n) =>
            Pod.podOf(n) === name));
          jobs.update(runningJobs);
        },
      };
    },
  });
})();
