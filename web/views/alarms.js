// The alarms view (#/alarms): open and acknowledged alarms, newest first
// (or every alarm, cleared ones too), each acknowledged with one button.
// Acknowledging is an operator's act: the button is marked
// data-needs="operator", so it is hidden from anyone signed in with a
// lesser role (app.js), and the controller checks the role again.
"use strict";

(function () {
  const SEVERITY_MARK = { critical: "▲", major: "●" };

  Pod.view("alarms", {
    mount(root) {
      const { t, h, fmt } = Pod;
      let showAll = Pod.load("alarms_all", "0") === "1";
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
        tr.className = "alarm-" + a.state;
      } });

      const toggle = h("input", { type: "checkbox", checked: showAll });
      toggle.addEventListener("change", () => {
        showAll = toggle.checked;
        Pod.save("alarms_all", showAll ? "1" : "0");
        Pod.refreshNow();
      });

      root.appendChild(h("section", { class: "view view-alarms" },
        h("h1", { text: t("alarms.title") }),
        h("p", { class: "sub", text: t("alarms.ack_hint") }),
        h("div", { class: "toolbar" }, h("label", {}, toggle, " ", t("alarms.show_all"))),
        msg,
        list.el));

      return {
        title: t("alarms.title"),
        async refresh() {
          const r = await Pod.api("/alarms" + (showAll ? "?state=all" : ""));
          list.update(r.alarms);
        },
      };
    },
  });
})();
