// The fabric view (#/): the whole fabric in one summary row, the pods that
// need an operator (each problem a badge of its own kind), then every pod
// with its power against budget, heat against cooling capacity, coolant,
// node states, open alarms and running jobs. Two requests per refresh
// whatever the number of pods: /status (from the core) and
// /pods?sort=trouble, whose summaries already count each pod's nodes down
// and hot, alarms by severity and running jobs; nothing per node, job or
// alarm.
//
// Why it is shaped so: at 100 pods the operator must see at once which
// pod leaks and tell it from pods whose nodes went down. The controller
// ranks pods by trouble (leaks, critical alarms, nodes down, hot nodes,
// warnings); the table follows that rank unless sorted by name, and can
// show only the pods with one kind of problem.
"use strict";

(function () {
  // Problem kinds, worst first: the pod summary's count, the badge's glyph
  // (so a kind reads without colour) and the filter it belongs to.
  const PROBLEMS = [
    // leaking nodes reporting, or leak alarms not cleared (a leaking node
    // that went silent): the top field of the controller's trouble rank
    { kind: "leak", mark: "⚠", count: (p) => Math.max(p.leaks || 0,
      Math.floor((p.trouble || 0) / 1e12)) },
    { kind: "critical", mark: "▲", count: (p) => (p.alarms || {}).critical || 0 },
    { kind: "down", mark: "✕", count: (p) => p.nodes_down || 0 },
    { kind: "hot", mark: "♨", count: (p) => p.nodes_hot || 0 },
    { kind: "warning", mark: "●", count: (p) => (p.alarms || {}).warning || 0 },
  ];
  const FILTERS = ["all", "trouble", "leak", "down", "hot"];
  const SORTS = ["trouble", "name"];

  // The badges of a pod's problems, into el (kept when unchanged).
  function problems(el, p) {
    const { t, fmt } = Pod;
    const have = PROBLEMS.map((k) => [k, k.count(p)]).filter((x) => x[1] > 0);
    const key = have.map((x) => x[0].kind + x[1]).join(" ");
    if (el.dataset.problems === key && el.dataset.lang === Pod.lang) {
      return;
    }
    el.dataset.problems = key;
    el.dataset.lang = Pod.lang;
    el.replaceChildren(...have.map(([k, n]) => Pod.h("span", {
      class: "problem pb-" + k.kind, "data-problem": k.kind,
      text: k.mark + " " + t("problem." + k.kind, { n: fmt.num(n) }) })));
  }

  Pod.view("fabric", {
    mount(root) {
      const { t, h, fmt, bar, kpi } = Pod;
      let sort = Pod.load("fabric_sort", "trouble");
      let filter = Pod.load("fabric_filter", "all");
      if (!SORTS.includes(sort)) {
        sort = "trouble";
      }
      if (!FILTERS.includes(filter)) {
        filter = "all";
      }
      let last = null;

      const k = {
        nodes: kpi("fabric.nodes"),
        accels: kpi("fabric.accelerators"),
        power: kpi("fabric.power"),
        heat: kpi("fabric.heat"),
        coolant: kpi("fabric.coolant"),
        flow: kpi("fabric.flow"),
        hottest: kpi("fabric.hottest"),
        alarms: kpi("fabric.alarms"),
      };
      const powerBar = bar(null, null, "");
      const heatBar = bar(null, null, "");
      k.power.el.appendChild(powerBar);
      k.heat.el.appendChild(heatBar);

      // the pods in trouble, worst first, as cards
      const attention = h("ol", { class: "attention" });
      const calm = h("p", { class: "note ok", text: t("fabric.no_trouble") });
      const attentionBox = h("section", { class: "attention-box",
        "aria-labelledby": "attention-h" },
      h("h2", { id: "attention-h", text: t("fabric.attention") }), calm, attention);

      const pods = Pod.table([
        { head: "pod.name", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(Pod.link("#/pods/" + encodeURIComponent(p.name), p.name));
          }
        } },
        { head: "fabric.problems", cls: "problems", render(td, p) {
          problems(td, p);
        } },
        { head: "pod.nodes_up", cls: "num", text: (p) => fmt.num(p.nodes_up) + " / " +
          fmt.num(p.nodes_total) },
        { head: "pod.power_budget", cls: "barcell", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(p.power_w, p.budget_w, fmt.kw(p.power_w) + " / " +
            fmt.kw(p.budget_w));
        } },
        { head: "pod.heat_cooling", cls: "barcell", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(p.heat_w, p.cooling_capacity_w, fmt.kw(p.heat_w) + " / " +
            fmt.kw(p.cooling_capacity_w));
        } },
        { head: "pod.supply", cls: "num", text: (p) => fmt.temp(p.supply_c) },
        { head: "pod.return", cls: "num", text: (p) => fmt.temp(p.return_c) },
        { head: "pod.flow", cls: "num", text: (p) => fmt.flow(p.flow_lpm) },
        { head: "pod.hottest", cls: "num", text: (p) => fmt.temp(p.hottest_c) },
        { head: "pod.out_of_service", cls: "num", render(td, p) {
          const s = p.nodes_by_state || {};
          const out = (s.drained || 0) + (s.draining || 0);
          Pod.setText(td, t("pod.drained_down", { drained: fmt.num(out),
            down: fmt.num(s.down || 0) }));
          td.classList.toggle("warn", out + (s.down || 0) > 0);
        } },
        { head: "pod.alarms", cls: "num", render(td, p) {
          const a = p.alarms || {};
          const n = (a.critical || 0) + (a.warning || 0) + (a.info || 0);
          Pod.setText(td, fmt.num(n));
          td.classList.toggle("alert", n > 0);
        } },
        { head: "pod.jobs_running", cls: "num", text: (p) => fmt.num(p.jobs_running) },
      ], (p) => p.name, { empty: "fabric.no_pods", caption: t("fabric.pods"),
        row(tr, p) {
          tr.dataset.trouble = String(p.trouble || 0);
          tr.classList.toggle("trouble", (p.trouble || 0) > 0);
        } });

      const sortSel = h("select", { id: "fabric-sort" }, SORTS.map((s) =>
        h("option", { value: s, text: t("fabric.sort_" + s) })));
      sortSel.value = sort;
      const filterSel = h("select", { id: "fabric-filter" }, FILTERS.map((f) =>
        h("option", { value: f, text: t("fabric.filter_" + f) })));
      filterSel.value = filter;
      const shown = h("span", { class: "count" });
      sortSel.addEventListener("change", () => {
        sort = sortSel.value;
        Pod.save("fabric_sort", sort);
        show();
      });
      filterSel.addEventListener("change", () => {
        filter = filterSel.value;
        Pod.save("fabric_filter", filter);
        show();
      });

      root.appendChild(h("section", { class: "view view-fabric" },
        h("h1", { text: t("fabric.title") }),
        h("div", { class: "kpis" }, Object.values(k).map((x) => x.el)),
        attentionBox,
        h("h2", {}, t("fabric.pods"), " ", shown),
        h("div", { class: "toolbar" },
          h("label", {}, t("fabric.sort"), " ", sortSel),
          h("label", {}, t("fabric.filter"), " ", filterSel)),
        pods.el));

      function keep(p) {
        switch (filter) {
        case "trouble":
          return (p.trouble || 0) > 0;
        case "leak":
          return PROBLEMS[0].count(p) > 0;
        case "down":
          return (p.nodes_down || 0) > 0;
        case "hot":
          return (p.nodes_hot || 0) > 0;
        default:
          return true;
        }
      }

      // the table from the last reply, as sorted and filtered now
      function show() {
        if (!last) {
          return;
        }
        let list = last.filter(keep);
        if (sort === "name") {
          list = list.slice().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        }
        pods.update(list);
        Pod.setText(shown, "(" + fmt.num(list.length) + " / " + fmt.num(last.length) + ")");
      }

      function cards(list) {
        const bad = list.filter((p) => (p.trouble || 0) > 0).slice(0, 12);
        calm.hidden = bad.length > 0;
        Pod.keyed(attention, bad, (p) => p.name, (p) => {
          const pb = h("span", { class: "problems" });
          const li = h("li", { class: "attention-pod" },
            Pod.link("#/pods/" + encodeURIComponent(p.name), p.name), " ", pb);
          li._pb = pb;
          return li;
        }, (li, p) => {
          li.dataset.pod = p.name;
          li.dataset.worst = (PROBLEMS.find((x) => x.count(p) > 0) || {}).kind || "";
          problems(li._pb, p);
        });
      }

      return {
        title: t("fabric.title"),
        async refresh(ctx) {
          const podsR = await Pod.api("/pods?sort=trouble");
          const s = ctx.status;
          const n = s.nodes || {};
          k.nodes.set(fmt.num(n.up) + " / " + fmt.num(n.total),
            t("fabric.nodes_sub", { drained: fmt.num((n.drained || 0) + (n.draining || 0)),
              down: fmt.num(n.down || 0), allocated: fmt.num((n.allocated || 0) + (n.mixed || 0)) }));
          k.accels.set(fmt.num(s.accelerators && s.accelerators.up) + " / " +
            fmt.num(s.accelerators && s.accelerators.total), t("fabric.accels_sub"));
          k.power.set(fmt.power(s.power_w), t("fabric.of_budget", { budget: fmt.power(s.budget_w) }));
          powerBar.set(s.power_w, s.budget_w, "");
          k.heat.set(fmt.power(s.heat_w), t("fabric.of_capacity",
            { capacity: fmt.power(s.cooling_capacity_w) }));
          heatBar.set(s.heat_w, s.cooling_capacity_w, "");
          k.coolant.set(fmt.num(s.supply_c, 1) + " → " + fmt.temp(s.return_c),
            t("fabric.coolant_sub"));
          k.flow.set(fmt.flow(s.flow_lpm), "");
          k.hottest.set(s.hottest ? fmt.temp(s.hottest.temp_c) : "–",
            s.hottest ? t("fabric.hottest_sub", { node: s.hottest.node,
              index: s.hottest.index }) : "");
          const open = s.alarms_unacked || 0;
          const acked = Math.max(0, (s.alarms_open || 0) - open);
          k.alarms.set(fmt.num(open), t("fabric.alarms_sub", { acked: fmt.num(acked),
            leaks: fmt.num(s.leaks) }));
          k.alarms.el.classList.toggle("alert", open > 0);

          last = podsR.pods;
          cards(last);
          show();
        },
      };
    },
  });
})();
