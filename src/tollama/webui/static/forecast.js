// Forecast playground: model + data → chart of history, forecast and band per series, table, downloads.

import { getJson, postStream } from "./api.js";
import { forecastChart } from "./chart.js";
import { DataSource } from "./datasource.js";
import { $, download, el, fillTable, formatNumber, showError } from "./dom.js";

let source = null;
let result = null; // {response, history}

export async function fillModelSelect(select) {
  const tags = await getJson("/api/tags");
  const current = select.value;
  select.replaceChildren(...tags.models.map((m) => el("option", { value: m.name }, m.name)));
  if (current && tags.models.some((m) => m.name === current)) select.value = current;
  return tags.models;
}

export async function renderForecast() {
  showError($("fc-error"), null);
  try {
    const models = await fillModelSelect($("fc-model"));
    if (!models.length) showError($("fc-error"), new Error("no model is installed: pull one on the Models page (mock and auto-ets are quick)"));
  } catch (error) {
    showError($("fc-error"), error);
  }
}

function parseQuantiles(text) {
  const parts = text.split(/[\s,]+/).filter(Boolean);
  return parts.map(Number);
}

async function run(event) {
  event.preventDefault();
  const button = $("fc-run");
  showError($("fc-error"), null);
  $("fc-status").textContent = "reading the data…";
  button.disabled = true;
  try {
    const horizon = Number($("fc-horizon").value);
    const { request, history } = await source.read(horizon, $("fc-freq").value.trim());
    const body = { ...request, model: $("fc-model").value };
    const quantiles = parseQuantiles($("fc-quantiles").value);
    if (quantiles.length) body.quantiles = quantiles;
    const response = await postStream("/api/forecast", body, (line) => {
      $("fc-status").textContent = line.status || "";
    });
    result = { response, history };
    $("fc-status").textContent = `done in ${formatNumber(response.total_duration / 1e9)} s`;
    showResult();
  } catch (error) {
    $("fc-status").textContent = "";
    showError($("fc-error"), error);
  } finally {
    button.disabled = false;
  }
}

function showResult() {
  const { response } = result;
  $("fc-warnings").replaceChildren(...(response.warnings || []).map((w) => el("li", {}, w)));
  const picker = $("fc-series");
  picker.replaceChildren(...response.forecasts.map((f, i) => el("option", { value: i }, f.id)));
  picker.disabled = response.forecasts.length < 2;
  $("fc-result").hidden = false;
  showSeries(0);
}

function levels(forecast) {
  return Object.keys(forecast.quantiles || {}).sort((a, b) => Number(a) - Number(b));
}

function showSeries(index) {
  const { response, history } = result;
  const forecast = response.forecasts[index];
  const past = history.find((h) => h.id === forecast.id) || { timestamps: null, target: [] };
  const keys = levels(forecast);
  const band = keys.length >= 2 ? { lower: forecast.quantiles[keys[0]], upper: forecast.quantiles[keys[keys.length - 1]] } : {};
  const chart = forecastChart(`${forecast.id}: history and ${response.model} forecast`, past, {
    timestamps: forecast.timestamps,
    mean: forecast.mean,
    ...band,
    bandLabel: keys.length >= 2 ? `${keys[0]}–${keys[keys.length - 1]} quantiles` : "",
  });
  chart.setAttribute("data-series", forecast.id);
  $("fc-chart").replaceChildren(chart, el("figcaption", {}, `${forecast.id} — ${response.model}`));
  const rows = forecast.mean.map((mean, step) => [
    forecast.timestamps ? forecast.timestamps[step] : String(step + 1),
    formatNumber(mean),
    ...keys.map((k) => formatNumber(forecast.quantiles[k][step])),
  ]);
  fillTable($("fc-table"), [forecast.timestamps ? "Timestamp" : "Step", "Mean", ...keys.map((k) => `q${k}`)], rows);
}

function csvCell(value) {
  const text = value === null || value === undefined ? "" : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function forecastCsv(response) {
  const keys = response.forecasts.length ? levels(response.forecasts[0]) : [];
  const lines = [["unique_id", "ds", "mean", ...keys.map((k) => `q${k}`)].join(",")];
  for (const f of response.forecasts) {
    f.mean.forEach((mean, step) => {
      const ds = f.timestamps ? f.timestamps[step] : step + 1;
      lines.push([f.id, ds, mean, ...keys.map((k) => f.quantiles[k][step])].map(csvCell).join(","));
    });
  }
  return `${lines.join("\n")}\n`;
}

export function initForecast() {
  source = new DataSource($("fc-source"), "fc", $("fc-horizon"));
  $("forecast-form").addEventListener("submit", run);
  $("fc-series").addEventListener("change", (e) => showSeries(Number(e.target.value)));
  $("fc-download-csv").addEventListener("click", () => download(`forecast-${result.response.model}.csv`, forecastCsv(result.response), "text/csv"));
  $("fc-download-json").addEventListener("click", () =>
    download(`forecast-${result.response.model}.json`, JSON.stringify(result.response, null, 2), "application/json"),
  );
}
