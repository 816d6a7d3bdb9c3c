// Two charts drawn as SVG by our own code: an auction's supply and demand curves with the
// clearing (or indicative) point, and a day's traded volume and price per interval.

const NS = "http://www.w3.org/2000/svg";
const W = 640;
const H = 320;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

// A "nice" step for about n ticks over [0, max].
function ticks(lo, hi, n = 5) {
  const span = hi - lo || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((m) => m >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

function frame(label, xTitle, yTitle) {
  const svg = s("svg", {
    viewBox: `0 0 ${W} ${H}`,
    role: "img",
    "aria-label": label,
    class: "chart",
  });
  svg.append(s("title", {}, label));
  svg.append(s("text", { x: W / 2, y: H - 4, class: "axis-title", "text-anchor": "middle" }, xTitle));
  svg.append(
    s("text", { x: 12, y: H / 2, class: "axis-title", "text-anchor": "middle", transform: `rotate(-90 12 ${H / 2})` }, yTitle),
  );
  return svg;
}

function axes(svg, x, y, xTicks, yTicks, fmt) {
  for (const v of yTicks) {
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    svg.append(s("text", { x: PAD.left - 6, y: y(v) + 4, "text-anchor": "end", class: "tick" }, fmt.y(v)));
  }
  for (const v of xTicks) {
    svg.append(s("text", { x: x(v), y: H - PAD.bottom + 16, "text-anchor": "middle", class: "tick" }, fmt.x(v)));
  }
  svg.append(s("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: "axis" }));
  svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }));
}

// Cumulative step points [(x kWh, y PLN/MWh)] of levels in the order given.
function steps(levels) {
  const points = [];
  let q = 0;
  for (const level of levels) {
    const p = Number(level.price);
    points.push([q, p]);
    q += level.quantity_wh / 1000;
    points.push([q, p]);
  }
  return points;
}

// bids, asks: the API's levels (best first); band {floor, cap}; point {price, volume_wh}.
export function curves({ bids, asks, band, point, labels, fmt }) {
  const demand = steps(bids);
  const supply = steps(asks);
  const all = [...demand, ...supply];
  const prices = [...all.map((p) => p[1]), Number(band.floor), Number(band.cap)];
  const maxQ = Math.max(1, ...all.map((p) => p[0]), point ? point.volume_wh / 1000 : 0) * 1.05;
  const lo = Math.min(...prices);
  const hi = Math.max(...prices);
  const pad = (hi - lo) * 0.08 || 10;
  const y0 = Math.max(0, lo - pad);
  const y1 = hi + pad;
  const x = (q) => PAD.left + (q / maxQ) * (W - PAD.left - PAD.right);
  const y = (p) => H - PAD.bottom - ((p - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const svg = frame(labels.title, "kWh", "PLN/MWh");
  axes(svg, x, y, ticks(0, maxQ), ticks(y0, y1), fmt);
  for (const [name, value] of [["floor", band.floor], ["cap", band.cap]]) {
    const v = Number(value);
    svg.append(s("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: `band ${name}` }));
    svg.append(s("text", { x: W - PAD.right - 4, y: y(v) - 4, "text-anchor": "end", class: "band-label" }, labels[name]));
  }
  const path = (pts, cls) => {
    if (!pts.length) return;
    const d = pts.map(([q, p], i) => `${i ? "L" : "M"}${x(q).toFixed(1)},${y(p).toFixed(1)}`).join("");
    svg.append(s("path", { d, class: cls, "data-points": String(pts.length / 2) }));
  };
  path(supply, "curve supply");
  path(demand, "curve demand");
  if (point && point.price !== null && point.price !== undefined) {
    const cx = x(point.volume_wh / 1000);
    const cy = y(Number(point.price));
    svg.append(s("circle", { cx, cy, r: 6, class: `point ${point.kind}` }, undefined));
    svg.lastChild.append(s("title", {}, labels.point));
  }
  const legend = s("g", { class: "legend", transform: `translate(${PAD.left + 8},${PAD.top + 4})` });
  [["supply", labels.supply], ["demand", labels.demand]].forEach(([cls, text], i) => {
    legend.append(s("line", { x1: 0, x2: 18, y1: 8 + i * 16, y2: 8 + i * 16, class: `curve ${cls}` }));
    legend.append(s("text", { x: 24, y: 12 + i * 16, class: "tick" }, text));
  });
  svg.append(legend);
  return svg;
}

// rows: [{label, volume_wh, price}] per interval of a day.
export function dayChart({ rows, labels, fmt }) {
  const maxQ = Math.max(1, ...rows.map((r) => r.volume_wh / 1000)) * 1.1;
  const priced = rows.filter((r) => r.price !== null && r.price !== undefined);
  const maxP = Math.max(1, ...priced.map((r) => Number(r.price))) * 1.1;
  const n = Math.max(rows.length, 1);
  const slot = (W - PAD.left - PAD.right) / n;
  const x = (i) => PAD.left + i * slot;
  const yq = (q) => H - PAD.bottom - (q / maxQ) * (H - PAD.top - PAD.bottom);
  const yp = (p) => H - PAD.bottom - (p / maxP) * (H - PAD.top - PAD.bottom);
  const svg = frame(labels.title, "", "kWh");
  axes(svg, (i) => x(i) + slot / 2, yq, [], ticks(0, maxQ), fmt);
  rows.forEach((r, i) => {
    const q = r.volume_wh / 1000;
    const bar = s("rect", { x: x(i) + 1, y: yq(q), width: Math.max(slot - 2, 1), height: H - PAD.bottom - yq(q), class: "bar" });
    bar.append(s("title", {}, `${r.label}: ${fmt.q(r.volume_wh)}, ${fmt.p(r.price)}`));
    svg.append(bar);
    if (i % 8 === 0) {
      svg.append(s("text", { x: x(i), y: H - PAD.bottom + 16, class: "tick" }, r.label));
    }
  });
  const d = rows
    .map((r, i) => (r.price === null || r.price === undefined ? null : [x(i) + slot / 2, yp(Number(r.price))]))
    .filter(Boolean)
    .map(([px, py], i) => `${i ? "L" : "M"}${px.toFixed(1)},${py.toFixed(1)}`)
    .join("");
  if (d) svg.append(s("path", { d, class: "price-line" }));
  for (const v of ticks(0, maxP, 4)) {
    svg.append(s("text", { x: W - PAD.right, y: yp(v) + 4, "text-anchor": "end", class: "tick price-tick" }, fmt.y(v)));
  }
  return svg;
}
