// The alarms view (#/alarms): open and acknowledged alarms, most severe
// first and newest first within a severity (or every alarm, cleared ones
// too), each acknowledged with one button. One GET /alarms?limit= per
// refresh: the controller sorts, caps the list and counts what matched by
// severity and by kind, so a critical leak is the first row however many
// pods lost nodes, and the node_down alarms read as one line ("99 alarms
// over 300 nodes") above the table.
// Acknowledging is an operator's act: the button is marked
// data-needs="operator", so it is hidden from anyone signed in with a
// lesser role (app.js), and the controller checks the role again.
"use strict";

(function () {
  const SEVERITY_MARK = { critical: "▲", major: "●", warning: "●" };
  const LIMIT = 200; // rows a page shows; the summary counts them all
  const SEVERITIES = ["all", "critical", "major", "info"];

  Pod.view("alarms", {
    mount(root) {
      const { t, h, fmt } = Pod;
      let showAll = Pod.load("alarms_all", "0") === "1";
      let severity = "all";
      const msg = h("p", { class: "note", role: "status" });

      async function ack(a, button) {
        button.disabled = true;
        try {
          await Pod.api("/alarms/" + encodeURIComponent(a.id) + "/ack",
            { method: "POST", body: {} });
          Pod.setText(msg, t("alarms.acked", { id: a.id }));
          msg.className = "note ok";
        } catch (e) {
          Pod.setText(msg, e.status === 403 ? t("error.forbidden", { error: e.message }) :
            t("alarms.ack_failed", { id: a.id, error: e.message }));
          msg.className = "note error";
        }
        await Pod.refreshNow();
      }

      function objectLink(o) {
        return /-n\d+$/.test(o) ? "#/nodes/" + encodeURIComponent(o) :
          "#/pods/" + encodeURIComponent(o);
      }

      const list = Pod.table([
        { head: "alarm.severity", render(td, a) {
          Pod.setText(td, (SEVERITY_MARK[a.severity] || "") + " " +
            Pod.tOr("severity." + a.severity, a.severity));
          td.className = "sev sev-" + a.severity;
        } },
        { head: "alarm.kind", render(td, a) {
          Pod.setText(td, Pod.tOr("alarm_kind." + a.kind, a.kind));
          td.title = a.message || "";
        } },
        { head: "alarm.object", render(td, a, isNew) {
          if (isNew) {
            td.appendChild(Pod.link(objectLink(a.object), a.object));
          }
        } },
        { head: "alarm.message", cls: "msg", text: (a) => a.message || "" },
        { head: "alarm.first_seen", text: (a) => fmt.datetime(a.first_seen) },
        { head: "alarm.last_seen", text: (a) => fmt.datetime(a.last_seen) },
        { head: "alarm.count", cls: "num", text: (a) => fmt.num(a.count) },
        { head: "alarm.state", render(td, a, isNew) {
          if (isNew) {
            td.appendChild(Pod.badge("alarm_state", a.state));
          }
          Pod.setBadge(td.firstChild, "alarm_state", a.state);
        } },
        { head: "alarm.acked", text: (a) => a.acked_by ?
          t("alarm.acked_fmt", { who: a.acked_by, when: fmt.datetime(a.acked_at) }) : "–" },
        { head: "alarm.action", render(td, a, isNew) {
          if (isNew) {
            const b = h("button", { type: "button", class: "ack", text: t("alarm.ack"),
              "data-needs": "operator",
              "aria-label": t("alarm.ack_label", { id: a.id, object: a.object }) });
            b.addEventListener("click", () => ack(td._alarm, b));
            td.appendChild(b);
          }
          td._alarm = a;
          td.firstChild.hidden = a.state !== "open";
          if (a.state === "open") {
            td.firstChild.disabled = false;
          }
        } },
      ], (a) => a.id, { empty: "alarms.none", row(tr, a) {
        tr.dataset.alarm = String(a.id);
        tr.dataset.state = a.state;
        tr.dataset.severity = a.severity;
        tr.dataset.kind = a.kind;
        tr.className = "alarm-" + a.state + " alarm-sev-" + a.severity;
      } });

      const toggle = h("input", { type: "checkbox", checked: showAll });
      toggle.addEventListener("change", () => {
        showAll = toggle.checked;
        Pod.save("alarms_all", showAll ? "1" : "0");
        Pod.refreshNow();
      });

      const sevSel = h("select", { id: "alarm-severity" }, SEVERITIES.map((v) =>
        h("option", { value: v, text: v === "all" ? t("alarms.severity_all") :
          Pod.tOr("severity." + v, v) })));
      sevSel.addEventListener("change", () => {
        severity = sevSel.value;
        Pod.refreshNow();
      });

      // counts of what matched, by severity then by kind (nodes listed)
      const summary = h("ul", { class: "alarm-summary", "aria-label": t("alarms.summary") });
      const more = h("p", { class: "note" });

      function showSummary(sum, total, shown) {
        const items = [];
        for (const [sev, key] of [["critical", "critical"], ["warning", "major"], ["info", "info"]]) {
          const n = sum ? sum[sev] || 0 : 0;
          if (n > 0) {
            items.push({ key: "sev-" + key, cls: "sev sev-" + key, text:
              (SEVERITY_MARK[key] || "") + " " + t("alarms.count_severity",
                { n: fmt.num(n), severity: Pod.tOr("severity." + key, key) }) });
          }
        }
        const kinds = sum && sum.kinds ? Object.entries(sum.kinds) : [];
        kinds.sort((a, b) => b[1].alarms - a[1].alarms);
        for (const [kind, c] of kinds) {
          items.push({ key: "kind-" + kind, cls: "kind kind-" + kind, text:
            t(c.nodes > c.alarms ? "alarms.count_kind_nodes" : "alarms.count_kind",
              { kind: Pod.tOr("alarm_kind." + kind, kind), n: fmt.num(c.alarms),
                nodes: fmt.num(c.nodes) }) });
        }
        Pod.keyed(summary, items, (x) => x.key, (x) => h("li", {}), (li, x) => {
          li.className = x.cls;
          Pod.setText(li, x.text);
        });
        more.hidden = total === null || total <= shown;
        Pod.setText(more, t("alarms.shown_of", { shown: fmt.num(shown),
          total: fmt.num(total || 0) }));
      }

      root.appendChild(h("section", { class: "view view-alarms" },
        h("h1", { text: t("alarms.title") }),
        h("p", { class: "sub", text: t("alarms.ack_hint") }),
        summary,
        h("div", { class: "toolbar" }, h("label", {}, toggle, " ", t("alarms.show_all")),
          h("label", {}, t("alarm.severity"), " ", sevSel)),
        msg,
        more,
        list.el));

      return {
        title: t("alarms.title"),
        async refresh() {
          const q = ["limit=" + LIMIT];
          if (showAll) {
            q.push("state=all");
          }
          if (severity !== "all") {
            q.push("severity=" + severity);
          }
          const r = await Pod.api("/alarms?" + q.join("&"), { total: true });
          list.update(r.body.alarms);
          showSummary(r.body.summary, r.total, r.body.alarms.length);
        },
      };
    },
  });
})();
