// Evaluation: models + data → rolling-origin backtest (POST /api/evaluate), leaderboard table and chart.

import { getJson, postStream } from "./api.js";
import { barChart } from "./chart.js";
import { DataSource } from "./datasource.js";
import { $, el, fillTable, formatNumber, showError } from "./dom.js";

let source = null;

export async function renderEvaluate() {
  showError($("ev-error"), null);
  try {
    const tags = await getJson("/api/tags");
    const box = $("ev-models");
    const chosen = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    const legend = box.querySelector("legend");
    const items = tags.models.map((m, i) =>
      el("label", { class: "check" }, el("input", { type: "checkbox", value: m.name, id: `ev-model-${i}`, checked: chosen.has(m.name) }), ` ${m.name}`),
    );
    box.replaceChildren(legend, ...items);
    if (!items.length) box.append(el("p", { class: "hint" }, "No model is installed: pull one on the Models page."));
  } catch (error) {
    showError($("ev-error"), error);
  }
}

function list(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

async function run(event) {
  event.preventDefault();
  const button = $("ev-run");
  const progress = $("ev-progress");
  const status = $("ev-text");
  showError($("ev-error"), null);
  const models = [...$("ev-models").querySelectorAll("input:checked")].map((i) => i.value);
  if (!models.length) {
    showError($("ev-error"), new Error("choose at least one model to evaluate"));
    return;
  }
  button.disabled = true;
  $("ev-status").hidden = false;
  progress.removeAttribute("value");
  status.textContent = "reading the data…";
  try {
    const horizon = Number($("ev-horizon").value);
    const { request } = await source.read(horizon, $("ev-freq").value.trim());
    const metrics = list($("ev-metrics").value);
    const body = { models, series: request.series, horizon, windows: Number($("ev-windows").value) };
    if (metrics.length) body.metrics = metrics;
    const final = await postStream("/api/evaluate", body, (line) => {
      if (line.total) {
        progress.max = line.total;
        progress.value = line.completed || 0;
        status.textContent = `${line.status}: ${line.model ?? ""} window ${line.window ?? ""} (${line.completed} of ${line.total})`;
      } else {
        status.textContent = line.status || "";
      }
    });
    progress.max = 1;
    progress.value = 1;
    status.textContent = `done in ${formatNumber((final.total_duration || 0) / 1e9)} s`;
    show(final, metrics);
  } catch (error) {
    $("ev-status").hidden = true;
    showError($("ev-error"), error);
  } finally {
    button.disabled = false;
  }
}

function show(final, asked) {
  const rows = final.leaderboard || [];
  const known = new Set(["model", "rank", "seconds", "series", "error"]);
  const metrics = asked.length ? asked : [...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => !known.has(k))))];
  fillTable(
    $("ev-table"),
    ["Rank", "Model", ...metrics, "Seconds", "Series", "Error"],
    rows.map((r) => [r.rank ?? "", r.model, ...metrics.map((m) => formatNumber(r[m])), formatNumber(r.seconds), r.series ?? "", r.error ?? ""]),
  );
  $("ev-warnings").replaceChildren(...(final.warnings || []).map((w) => el("li", {}, w)));
  const first = metrics.find((m) => m !== "coverage") || metrics[0];
  const ranked = rows.filter((r) => !r.error);
  $("ev-chart").replaceChildren(
    barChart(`Leaderboard by ${first}`, first, ranked.map((r) => ({ label: r.model, value: r[first] }))),
    el("figcaption", {}, `${first} per model over ${(final.windows || []).length} window(s)`),
  );
  $("ev-result").hidden = false;
}

export function initEvaluate() {
  source = new DataSource($("ev-source"), "ev", $("ev-horizon"));
  $("eval-form").addEventListener("submit", run);
}
