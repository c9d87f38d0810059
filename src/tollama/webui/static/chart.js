// Hand-drawn SVG charts: a history with its forecast and interval band, and a bar chart.
// No charting library; labels are text nodes, so names from data never become markup.

import { formatNumber } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 800;
const HEIGHT = 340;
const PAD = { left: 64, right: 16, top: 16, bottom: 40 };

function svg(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// x positions: dates when every timestamp parses, else step numbers.
function xValues(timestamps, count, offset) {
  if (timestamps && timestamps.length === count) {
    const parsed = timestamps.map((t) => Date.parse(t));
    if (parsed.every(Number.isFinite)) return { values: parsed, dates: true };
  }
  return { values: Array.from({ length: count }, (_, i) => i + offset), dates: false };
}

function scale(domainMin, domainMax, rangeMin, rangeMax) {
  const span = domainMax - domainMin || 1;
  return (v) => rangeMin + ((v - domainMin) / span) * (rangeMax - rangeMin);
}

function ticks(min, max, count) {
  if (min === max) return [min];
  const step = (max - min) / (count - 1);
  return Array.from({ length: count }, (_, i) => min + i * step);
}

// Round values at 1, 2 or 5 times a power of ten, inside [min, max].
function niceTicks(min, max, count) {
  const raw = (max - min) / Math.max(count - 1, 1) || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function points(xs, ys, sx, sy) {
  return xs
    .map((x, i) => (ys[i] === null || ys[i] === undefined ? null : `${sx(x).toFixed(2)},${sy(ys[i]).toFixed(2)}`))
    .filter(Boolean)
    .join(" ");
}

function axes(root, sx, sy, xDomain, yDomain, dates) {
  const grid = svg("g", { class: "axes" });
  for (const y of niceTicks(yDomain[0], yDomain[1], 5)) {
    grid.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: sy(y), y2: sy(y), class: "grid" }));
    grid.append(svg("text", { x: PAD.left - 6, y: sy(y) + 4, "text-anchor": "end" }, formatNumber(y)));
  }
  const xs = ticks(xDomain[0], xDomain[1], 5);
  xs.forEach((x, i) => {
    const label = dates ? new Date(x).toISOString().slice(0, 10) : formatNumber(Math.round(x));
    const anchor = i === 0 ? "start" : i === xs.length - 1 ? "end" : "middle";
    grid.append(svg("text", { x: sx(x), y: HEIGHT - PAD.bottom + 18, "text-anchor": anchor }, label));
  });
  grid.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: HEIGHT - PAD.bottom, y2: HEIGHT - PAD.bottom, class: "axis" }));
  root.append(grid);
}

function legend(root, entries) {
  let x = PAD.left;
  const group = svg("g", { class: "legend" });
  for (const [cls, label] of entries) {
    group.append(svg("rect", { x, y: HEIGHT - 14, width: 14, height: 8, class: `key ${cls}` }));
    group.append(svg("text", { x: x + 18, y: HEIGHT - 6 }, label));
    x += 26 + label.length * 7;
  }
  root.append(group);
}

// history: {timestamps, target}; forecast: {timestamps, mean, lower, upper, bandLabel}.
export function forecastChart(title, history, forecast) {
  const hx = xValues(history.timestamps, history.target.length, 0);
  const fx = xValues(forecast.timestamps, forecast.mean.length, history.target.length);
  const dates = hx.dates && fx.dates;
  const histX = dates ? hx.values : hx.values.map((_, i) => i);
  const foreX = dates ? fx.values : fx.values.map((_, i) => i + history.target.length);
  const allY = [...history.target, ...forecast.mean, ...(forecast.lower || []), ...(forecast.upper || [])].filter(
    (v) => typeof v === "number" && Number.isFinite(v),
  );
  const allX = [...histX, ...foreX];
  const xDomain = [Math.min(...allX), Math.max(...allX)];
  let yDomain = [Math.min(...allY), Math.max(...allY)];
  const room = (yDomain[1] - yDomain[0]) * 0.05 || 1;
  yDomain = [yDomain[0] - room, yDomain[1] + room];
  const sx = scale(xDomain[0], xDomain[1], PAD.left, WIDTH - PAD.right);
  const sy = scale(yDomain[0], yDomain[1], HEIGHT - PAD.bottom, PAD.top);

  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", class: "forecast-chart" });
  root.append(svg("title", {}, title));
  axes(root, sx, sy, xDomain, yDomain, dates);
  if (forecast.lower && forecast.upper) {
    const upper = foreX.map((x, i) => `${sx(x).toFixed(2)},${sy(forecast.upper[i]).toFixed(2)}`);
    const lower = foreX.map((x, i) => `${sx(x).toFixed(2)},${sy(forecast.lower[i]).toFixed(2)}`).reverse();
    root.append(svg("polygon", { points: [...upper, ...lower].join(" "), class: "band" }));
  }
  root.append(svg("polyline", { points: points(histX, history.target, sx, sy), class: "history-line" }));
  const line = svg("polyline", { points: points(foreX, forecast.mean, sx, sy), class: "forecast-line" });
  line.setAttribute("data-values", JSON.stringify(forecast.mean));
  root.append(line);
  const dots = svg("g", { class: "forecast-points" });
  foreX.forEach((x, i) => {
    const dot = svg("circle", { cx: sx(x).toFixed(2), cy: sy(forecast.mean[i]).toFixed(2), r: 2.5, "data-value": forecast.mean[i] });
    dot.append(svg("title", {}, `${forecast.timestamps ? forecast.timestamps[i] : `step ${i + 1}`}: ${formatNumber(forecast.mean[i])}`));
    dots.append(dot);
  });
  root.append(dots);
  const entries = [["history", "history"], ["forecast", "forecast (mean)"]];
  if (forecast.lower) entries.push(["band", forecast.bandLabel]);
  legend(root, entries);
  return root;
}

// bars: [{label, value}] drawn horizontally, lower is better (the leaderboard's order).
export function barChart(title, metric, bars) {
  const shown = bars.filter((b) => typeof b.value === "number" && Number.isFinite(b.value));
  const rowHeight = 28;
  const height = PAD.top + rowHeight * Math.max(shown.length, 1) + 24;
  const labelWidth = 180;
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", class: "bar-chart" });
  root.append(svg("title", {}, title));
  const max = Math.max(...shown.map((b) => b.value), 0) || 1;
  const sx = scale(0, max, labelWidth, WIDTH - PAD.right - 70);
  shown.forEach((bar, i) => {
    const y = PAD.top + i * rowHeight;
    root.append(svg("text", { x: labelWidth - 8, y: y + 17, "text-anchor": "end" }, bar.label));
    const rect = svg("rect", { x: labelWidth, y: y + 4, width: Math.max(sx(bar.value) - labelWidth, 1), height: rowHeight - 8, class: i === 0 ? "bar best" : "bar" });
    rect.setAttribute("data-value", bar.value);
    root.append(rect);
    root.append(svg("text", { x: sx(bar.value) + 6, y: y + 17 }, formatNumber(bar.value)));
  });
  root.append(svg("text", { x: labelWidth, y: height - 6 }, `${metric} (lower is better)`));
  return root;
}
