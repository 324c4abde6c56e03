// The fabric view (#/): the whole fabric in one summary row, then every pod
// with its power against budget, heat against cooling capacity, coolant,
// node states, open alarms and running jobs. Four requests per refresh
// whatever the number of pods: /status and /alarms (from the core), /pods
// and /jobs?state=running; nothing per node.
"use strict";

Pod.view("fabric", {
  mount(root) {
    const { t, h, fmt, bar, kpi } = Pod;
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

    const pods = Pod.table([
      { head: "pod.name", render(td, p, isNew) {
        if (isNew) {
          td.appendChild(Pod.link("#/pods/" + encodeURIComponent(p.name), p.name));
        }
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
        Pod.setText(td, fmt.num(p._alarms));
        td.classList.toggle("alert", p._alarms > 0);
      } },
      { head: "pod.jobs_running", cls: "num", text: (p) => fmt.num(p._jobs) },
    ], (p) => p.name, { empty: "fabric.no_pods", caption: t("fabric.pods") });

    root.appendChild(h("section", { class: "view view-fabric" },
      h("h1", { text: t("fabric.title") }),
      h("div", { class: "kpis" }, Object.values(k).map((x) => x.el)),
      h("h2", { text: t("fabric.pods") }),
      pods.el));

    return {
      title: t("fabric.title"),
      async refresh(ctx) {
        const [podsR, jobsR] = await Promise.all([
          Pod.api("/pods"), Pod.api("/jobs?state=running")]);
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
        const open = ctx.alarms.filter((a) => a.state === "open").length;
        const acked = ctx.alarms.filter((a) => a.state === "acked").length;
        k.alarms.set(fmt.num(open), t("fabric.alarms_sub", { acked: fmt.num(acked),
          leaks: fmt.num(s.leaks) }));
        k.alarms.el.classList.toggle("alert", open > 0);

        const alarms = {}, jobs = {};
        for (const a of ctx.alarms) {
          if (a.state === "open") {
            const p = Pod.podOf(a.object);
            alarms[p] = (alarms[p] || 0) + 1;
          }
        }
        for (const j of jobsR.jobs) {
          for (const p of new Set((j.nodes || []).map(Pod.podOf))) {
            jobs[p] = (jobs[p] || 0) + 1;
          }
        }
        pods.update(podsR.pods.map((p) => Object.assign({}, p, {
          _alarms: alarms[p.name] || 0, _jobs: jobs[p.name] || 0 })));
      },
    };
  },
});
