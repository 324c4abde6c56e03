// The jobs view (#/jobs): the queue (pending jobs in the scheduler's
// order, each with why it waits), the running jobs with their placement,
// and the history of ended jobs with the energy they used. One GET /jobs
// per refresh; the controller already orders it (running, pending by
// priority, ended newest first).
"use strict";

(function () {
  const ENDED = ["completed", "failed", "cancelled", "timeout", "node_fail"];

  Pod.view("jobs", {
    mount(root) {
      const { t, h, fmt } = Pod;

      function size(j) {
        return t("job.size_fmt", { nodes: fmt.num(j.nnodes), accels: fmt.num(j.accelerators_total) });
      }
      function stateCell(td, j, isNew) {
        if (isNew) {
          td.appendChild(Pod.badge("job_state", j.state));
        }
        Pod.setBadge(td.firstChild, "job_state", j.state);
      }
      function rowAttrs(tr, j) {
        tr.dataset.job = String(j.id);
        tr.dataset.state = j.state;
      }
      function elapsed(j, endIso) {
        const a = Date.parse(j.start_time);
        const b = endIso ? Date.parse(endIso) : Date.now();
        return isNaN(a) || isNaN(b) ? null : (b - a) / 1000;
      }

      const queue = Pod.table([
        { head: "job.position", cls: "num", text: (j) => String(j._pos) },
        { head: "job.id", cls: "num", text: (j) => String(j.id) },
        { head: "job.name", text: (j) => j.name },
        { head: "job.size", cls: "num", text: size },
        { head: "job.priority", cls: "num", text: (j) => fmt.num(j.priority) },
        { head: "job.reason", render(td, j) {
          const code = j.reason || "";
          Pod.setText(td, code ? Pod.tOr("reason." + code, code) : "–");
          td.title = code ? Pod.tOr("reason_help." + code, code) : "";
          td.dataset.reason = code;
        } },
        { head: "job.submitted", text: (j) => fmt.datetime(j.submit_time) },
        { head: "job.waiting", cls: "num", text: (j) => fmt.duration(fmt.since(j.submit_time)) },
        { head: "job.time_limit", cls: "num", text: (j) => fmt.duration(j.time_limit_s) },
        { head: "job.by", text: (j) => j.user || j.submitted_by || "–" },
        { head: "job.account", text: (j) => j.account || "–" },
        { head: "job.qos", text: (j) => j.qos || "–" },
      ], (j) => j.id, { empty: "jobs.queue_empty", row: rowAttrs, cls: "queue" });

      const running = Pod.table([
        { head: "job.id", cls: "num", text: (j) => String(j.id) },
        { head: "job.name", text: (j) => j.name },
        { head: "job.size", cls: "num", text: size },
        { head: "job.placement", cls: "mono", render(td, j) {
          Pod.setText(td, Pod.nodeRange(j.nodes));
          td.title = (j.nodes || []).join(" ");
        } },
        { head: "job.started", text: (j) => fmt.datetime(j.start_time) },
        { head: "job.elapsed", cls: "num", text: (j) => fmt.duration(elapsed(j)) + " / " +
          fmt.duration(j.time_limit_s) },
        { head: "job.energy", cls: "num", text: (j) => fmt.energy(j.energy_j) },
        { head: "job.account", text: (j) => j.account || "–" },
        { head: "job.qos", text: (j) => j.qos || "–" },
        { head: "job.policy", text: (j) => j.policy || "–" },
        { head: "job.attempt", cls: "num", text: (j) => fmt.num(j.attempt) +
          (j.cancel_requested ? " · " + t("job.cancel_requested") : "") },
      ], (j) => j.id, { empty: "jobs.running_empty", row: rowAttrs, cls: "running" });

      const history = Pod.table([
        { head: "job.id", cls: "num", text: (j) => String(j.id) },
        { head: "job.name", text: (j) => j.name },
        { head: "job.state", render: stateCell },
        { head: "job.exit", cls: "num", text: (j) => j.exit_code === null ||
          j.exit_code === undefined ? "–" : String(j.exit_code) },
        { head: "job.size", cls: "num", text: size },
        { head: "job.placement", cls: "mono", text: (j) => Pod.nodeRange(j.nodes) },
        { head: "job.started", text: (j) => fmt.datetime(j.start_time) },
        { head: "job.ended", text: (j) => fmt.datetime(j.end_time) },
        { head: "job.duration", cls: "num", text: (j) => j.start_time ?
          fmt.duration(elapsed(j, j.end_time)) : "–" },
        { head: "job.energy", cls: "num", text: (j) => fmt.energy(j.energy_j) },
      ], (j) => j.id, { empty: "jobs.history_empty", row: rowAttrs, cls: "history" });

      const counts = {
        queue: h("span", { class: "count" }),
        running: h("span", { class: "count" }),
        history: h("span", { class: "count" }),
      };
      root.appendChild(h("section", { class: "view view-jobs" },
        h("h1", { text: t("jobs.title") }),
        h("h2", { id: "queue" }, t("jobs.queue"), " ", counts.queue), queue.el,
        h("h2", { id: "running" }, t("jobs.running"), " ", counts.running), running.el,
        h("h2", { id: "history" }, t("jobs.history"), " ", counts.history), history.el));

      return {
        title: t("jobs.title"),
        async refresh() {
          const r = await Pod.api("/jobs");
          let pos = 0;
          const pending = r.jobs.filter((j) => j.state === "pending")
            .map((j) => Object.assign({ _pos: ++pos }, j));
          const run = r.jobs.filter((j) => j.state === "running");
          const ended = r.jobs.filter((j) => ENDED.includes(j.state));
          queue.update(pending);
          running.update(run);
          history.update(ended);
          Pod.setText(counts.queue, "(" + fmt.num(pending.length) + ")");
          Pod.setText(counts.running, "(" + fmt.num(run.length) + ")");
          Pod.setText(counts.history, "(" + fmt.num(ended.length) + ")");
        },
      };
    },
  });
})();
