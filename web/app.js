// The pods overview: polls the REST API every 5 s and fills the table.
"use strict";

const fmt = (v, div = 1, digits = 1) =>
  v === null || v === undefined ? "–" : (v / div).toFixed(digits);

function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
}

async function refresh() {
  try {
    const r = await fetch("/api/v1/pods");
    const body = await r.json();
    const tbody = document.querySelector("#pods tbody");
    tbody.replaceChildren();
    for (const p of body.pods) {
      const tr = document.createElement("tr");
      cell(tr, p.name);
      cell(tr, `${p.nodes_up}/${p.nodes_total}`);
      cell(tr, fmt(p.power_w, 1000));
      cell(tr, fmt(p.budget_w, 1000, 0));
      cell(tr, fmt(p.heat_w, 1000));
      cell(tr, fmt(p.cooling_capacity_w, 1000, 0));
      cell(tr, fmt(p.supply_c));
      cell(tr, fmt(p.return_c));
      cell(tr, fmt(p.flow_lpm, 1, 0));
      cell(tr, fmt(p.hottest_c));
      cell(tr, p.nodes_by_state.drained + p.nodes_by_state.draining);
      cell(tr, p.nodes_by_state.down);
      tbody.appendChild(tr);
    }
    document.getElementById("updated").textContent =
      "updated " + new Date().toLocaleTimeString();
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent =
      "cannot reach the controller: " + e;
  }
}

refresh();
setInterval(refresh, 5000);
