// Colour scales and the trend chart, drawn as plain SVG.
//
// The scales are perceptually uniform and readable with the common colour
// vision deficiencies: viridis for temperatures, cividis for power, so the
// two heatmap modes never look alike. Each is kept as 11 evenly spaced
// anchors (viridis from matplotlib's table, cividis from Nuñez, Anderton and
// Renslow 2018) and interpolated linearly in sRGB; at this spacing the
// difference from the full 256-entry tables is below what a tile can show.
// A chart library would be heavier than the one line chart the node view
// needs, so that is drawn here too.
"use strict";

const PodCharts = (function () {
  const SVG = "http://www.w3.org/2000/svg";
  const VIRIDIS = ["#440154", "#482475", "#414487", "#355f8d", "#2a788e",
    "#21918c", "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725"];
  const CIVIDIS = ["#002051", "#0a326a", "#2b446e", "#4d566d", "#696970",
    "#7f7c75", "#948f78", "#ada476", "#caba6a", "#ead156", "#fdea45"];

  function rgbOf(hex) {
    const n = parseInt(hex.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const ANCHORS = { viridis: VIRIDIS.map(rgbOf), cividis: CIVIDIS.map(rgbOf) };

  // The colour at t in [0, 1] (clamped) of a named ramp, as [r, g, b].
  function ramp(name, t) {
    const a = ANCHORS[name];
    const x = Math.max(0, Math.min(1, t)) * (a.length - 1);
    const i = Math.min(Math.floor(x), a.length - 2), f = x - i;
    return [0, 1, 2].map((k) => Math.round(a[i][k] + (a[i + 1][k] - a[i][k]) * f));
  }

  function css(rgb) {
    return "rgb(" + rgb.join(",") + ")";
  }

  // Black or white, whichever reads better on the background rgb.
  function ink(rgb) {
    const lin = rgb.map((c) => {
      c /= 255;
      return c <= 0.04045 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    const y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
    return y > 0.22 ? "#000" : "#fff";
  }

  // A CSS linear-gradient of a ramp, for legends.
  function gradient(name) {
    const a = name === "viridis" ? VIRIDIS : CIVIDIS;
    return "linear-gradient(to right, " + a.join(", ") + ")";
  }

  // About n round-numbered ticks covering [lo, hi].
  function ticks(lo, hi, n) {
    if (!(hi > lo)) {
      hi = lo + 1;
    }
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
      out.push(Math.round(v / step) * step);
    }
    return out;
  }

  function el(name, attrs) {
    const e = document.createElementNS(SVG, name);
    for (const k in attrs) {
      e.setAttribute(k, attrs[k]);
    }
    return e;
  }

  // A line chart of one or more series over [from, to] (ms since the epoch).
  // opts: series [{name, colour, dash, width, points: [[t_ms, value|null]]}],
  // from, to, fmtY (tick label), fmtT (time label), label (accessible
  // summary), minSpan (smallest y range shown), zero (start the axis at 0 when
// that is near), width (px). Returns an <svg> element.
  function line(opts) {
    // drawn at the size it is shown, so text and lines keep their size
    const W = Math.max(300, Math.round(opts.width || 640)), H = 220;
    const L = 60, R = 14, T = 12, B = 28;
    let lo = Infinity, hi = -Infinity;
    for (const s of opts.series) {
      for (const p of s.points) {
        if (p[1] !== null && p[1] !== undefined) {
          lo = Math.min(lo, p[1]);
          hi = Math.max(hi, p[1]);
        }
      }
    }
    if (lo === Infinity) {
      lo = 0;
      hi = 1;
    }
    const span = Math.max(hi - lo, opts.minSpan || 1);
    const mid = (hi + lo) / 2;
    lo = mid - span * 0.6;
    hi = mid + span * 0.6;
    if (opts.zero && lo > 0 && lo < span) {
      lo = 0;
    }
    const yt = ticks(lo, hi, 4);
    lo = Math.min(lo, yt[0]);
    hi = Math.max(hi, yt[yt.length - 1]);
    const x = (t) => L + (W - L - R) * (t - opts.from) / (opts.to - opts.from);
    const y = (v) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));

    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img",
      "aria-label": opts.label, class: "chart" });
    for (const v of yt) {
      svg.appendChild(el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v),
        class: "grid" }));
      const lab = el("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end",
        class: "tick" });
      lab.textContent = opts.fmtY(v);
      svg.appendChild(lab);
    }
    const quarter = 15 * 60 * 1000;
    for (let t = Math.ceil(opts.from / quarter) * quarter; t <= opts.to;
      t += quarter) {
      svg.appendChild(el("line", { x1: x(t), x2: x(t), y1: T, y2: H - B,
        class: "grid" }));
      const lab = el("text", { x: x(t), y: H - 9, "text-anchor": "middle",
        class: "tick" });
      lab.textContent = opts.fmtT(t);
      svg.appendChild(lab);
    }
    for (const s of opts.series) {
      const ok = s.points.map((p) => p[1] !== null && p[1] !== undefined &&
        p[0] >= opts.from);
      const dots = [];
      let d = "";
      s.points.forEach((p, i) => {
        if (!ok[i]) {
          return;
        }
        const px = x(p[0]).toFixed(1), py = y(p[1]).toFixed(1);
        d += (i > 0 && ok[i - 1] ? "L" : "M") + px + " " + py;
        // a point with no neighbour draws no line: a dot shows it
        if (!(i > 0 && ok[i - 1]) && !(i + 1 < ok.length && ok[i + 1])) {
          dots.push(el("circle", { cx: px, cy: py, r: (s.width || 2) * 1.2,
            fill: s.colour, class: "dot" }));
        }
      });
      const path = el("path", { d: d || "M0 0", fill: "none", stroke: s.colour,
        "stroke-width": s.width || 2, "vector-effect": "non-scaling-stroke",
        "stroke-linejoin": "round" });
      if (s.dash) {
        path.setAttribute("stroke-dasharray", s.dash);
      }
      svg.appendChild(path);
      dots.forEach((c) => svg.appendChild(c));
    }
    return svg;
  }

  return { ramp, css, ink, gradient, ticks, line };
})();
