// The power view (#/power): the fabric's envelope (IT power, the facility
// cap, a curtailment in force, the binding limit) and each pod's budget,
// allocation and headroom, from one GET /power. The cap and curtailment
// say who set them (`source`): a value the building set over Modbus (BMS)
// is marked, since an operator who changes it here overrides the facility.
// "Budget" is the configured budget (configured_budget_w); "allocated now"
// the effective one (budget_w, the same as allocated_w).
"use strict";

(function () {
  Pod.view("power", {
    mount(root) {
      const { t, h, fmt, bar, kpi } = Pod;
      const k = {
        power: kpi("power.it_power"),
        limit: kpi("power.limit"),
        cap: kpi("power.cap"),
        curtail: kpi("power.curtail"),
        budget: kpi("power.budgets"),
        energy: kpi("power.energy"),
      };
      const limitBar = bar(null, null, "");
      k.limit.el.appendChild(limitBar);
      const sourceBadges = [k.cap, k.curtail].map((x) => {
        const b = h("span", { class: "source" });
        x.el.appendChild(b);
        return b;
      });

      const pods = Pod.table([
        { head: "pod.name", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(Pod.link("#/pods/" + encodeURIComponent(p.name), p.name));
          }
        } },
        { head: "power.pod_power", cls: "barcell", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(p.power_w, p.allocated_w, fmt.kw(p.power_w) + " / " +
            fmt.kw(p.allocated_w));
        } },
        { head: "power.pod_budget", cls: "num", text: (p) => fmt.kw(p.configured_budget_w) },
        { head: "power.pod_allocated", cls: "num", render(td, p) {
          Pod.setText(td, fmt.kw(p.allocated_w));
          td.classList.toggle("warn", Pod.isNum(p.allocated_w) && p.allocated_w < p.configured_budget_w);
        } },
        { head: "power.pod_headroom", cls: "num", render(td, p) {
          Pod.setText(td, fmt.kw(p.power_headroom_w));
          td.classList.toggle("alert", Pod.isNum(p.power_headroom_w) && p.power_headroom_w < 0);
        } },
        { head: "power.pod_heat", cls: "barcell", render(td, p, isNew) {
          if (isNew) {
            td.appendChild(bar(null, null, ""));
          }
          td.firstChild.set(p.heat_w, p.cooling_capacity_w, fmt.kw(p.heat_w) + " / " +
            fmt.kw(p.cooling_capacity_w));
        } },
        { head: "power.pod_cooling_headroom", cls: "num", render(td, p) {
          Pod.setText(td, fmt.kw(p.cooling_headroom_w));
          td.classList.toggle("alert", Pod.isNum(p.cooling_headroom_w) && p.cooling_headroom_w < 0);
        } },
        { head: "power.pod_energy", cls: "num", text: (p) => fmt.energy(p.energy_j) },
      ], (p) => p.name, { empty: "fabric.no_pods" });

      root.appendChild(h("section", { class: "view view-power" },
        h("h1", { text: t("power.title") }),
        h("div", { class: "kpis" }, Object.values(k).map((x) => x.el)),
        h("p", { class: "sub", text: t("power.explain") }),
        h("h2", { text: t("power.pods") }),
        pods.el));

      return {
        title: t("power.title"),
        async refresh() {
          const p = await Pod.api("/power");
          k.power.set(fmt.power(p.power_w), "");
          k.limit.set(fmt.power(p.limit_w), Pod.isNum(p.limit_w) && Pod.isNum(p.power_w) ?
            t("power.limit_sub", { pct: fmt.pct(100 * p.power_w / p.limit_w) }) : "");
          limitBar.set(p.power_w, p.limit_w, "");
          k.cap.set(p.cap_w === null || p.cap_w === undefined ? t("power.no_cap") :
            fmt.power(p.cap_w), "");
          const curtailing = Pod.isNum(p.curtail_pct) && p.curtail_pct > 0;
          k.curtail.set(curtailing ? fmt.pct(p.curtail_pct, 1) : t("power.no_curtail"),
            curtailing ? t("power.curtail_sub", { target: fmt.power(p.curtail_target_w),
              achieved: fmt.pct(p.curtail_achieved_pct, 1) }) : "");
          k.curtail.el.classList.toggle("warn", curtailing);
          const hasCap = p.cap_w !== null && p.cap_w !== undefined;
          sourceBadges.forEach((b, i) => {
            const src = (i === 0 ? p.cap_source : p.curtail_source) ||
              p.source || "config";
            b.hidden = i === 0 ? !hasCap : !curtailing;
            Pod.setText(b, Pod.tOr("source." + src, src));
            b.className = "source source-" + src;
            b.dataset.source = src;
            b.title = Pod.tOr("source_help." + src, src);
          });
          k.budget.set(fmt.power(p.configured_budget_w), "");
          k.energy.set(fmt.energy(p.energy_j), t("power.energy_sub"));
          pods.update(p.pods || []);
        },
      };
    },
  });
})();
