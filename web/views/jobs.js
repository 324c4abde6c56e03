// The jobs view (#/jobs): the queue (pending jobs in the scheduler's
// order, each with why it waits), the running jobs with their placement,
// and the history of ended jobs with the energy they used. Each table is
// one page of GET /jobs?state=…&limit=… (after= the last job of the page
// before), so a queue of thousands costs three small requests a refresh;
// the controller orders the list (running, pending by priority, ended
// newest first) and says how many there are (X-Total-Count).
"use strict";

(function () {
  const ENDED = ["completed", "failed", "cancelled", "timeout", "node_fail"];
  const PAGE = 100; // rows of a table's page

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

      // One table's pages: the cursors of the pages before (after= the
      // last job of each), the rows shown, and the buttons that move.
      function pager(name, states, tbl) {
        const p = { name, states, tbl, cursors: [], rows: [], total: null,
          count: h("span", { class: "count" }) };
        p.prev = h("button", { type: "button", class: "page-prev", text: t("jobs.page_prev") });
        p.next = h("button", { type: "button", class: "page-next", text: t("jobs.page_next") });
        p.where = h("span", { class: "page-where" });
        p.prev.addEventListener("click", () => {
          p.cursors.pop();
          Pod.refreshNow();
        });
        p.next.addEventListener("click", () => {
          if (p.rows.length) {
            p.cursors.push(p.rows[p.rows.length - 1].id);
            Pod.refreshNow();
          }
        });
        p.bar = h("div", { class: "pager", "data-pager": name }, p.prev, " ", p.where, " ", p.next);
        p.load = async function () {
          const after = p.cursors.length ? p.cursors[p.cursors.length - 1] : null;
          let r;
          try {
            r = await Pod.api("/jobs?state=" + states.join(",") + "&limit=" + PAGE +
              (after === null ? "" : "&after=" + encodeURIComponent(after)), { total: true });
          } catch (e) {
            if (e.status !== 400 || after === null) {
              throw e;
            }
            // the job the page followed is gone from the controller's
            // memory: back to the first page
            p.cursors = [];
            return p.load();
          }
          p.rows = r.body.jobs;
          p.total = r.total === null ? r.body.jobs.length : r.total;
          const first = p.cursors.length * PAGE;
          if (name === "queue") {
            p.rows = p.rows.map((j, i) => Object.assign({ _pos: first + i + 1 }, j));
          }
          tbl.update(p.rows);
          Pod.setText(p.count, "(" + fmt.num(p.total) + ")");
          p.bar.hidden = p.total <= PAGE && p.cursors.length === 0;
          p.prev.disabled = p.cursors.length === 0;
          p.next.disabled = first + p.rows.length >= p.total;
          Pod.setText(p.where, p.rows.length ? t("jobs.page_where", {
            from: fmt.num(first + 1), to: fmt.num(first + p.rows.length),
            total: fmt.num(p.total) }) : "");
        };
        return p;
      }
      const pages = [pager("queue", ["pending"], queue),
        pager("running", ["running"], running), pager("history", ENDED, history)];
      const [pq, pr, ph] = pages;

      root.appendChild(h("section", { class: "view view-jobs" },
        h("h1", { text: t("jobs.title") }),
        h("h2", { id: "queue" }, t("jobs.queue"), " ", pq.count), queue.el, pq.bar,
        h("h2", { id: "running" }, t("jobs.running"), " ", pr.count), running.el, pr.bar,
        h("h2", { id: "history" }, t("jobs.history"), " ", ph.count), history.el, ph.bar));

      return {
        title: t("jobs.title"),
        async refresh() {
          await Promise.all(pages.map((p) => p.load()));
        },
      };
    },
  });
})();
