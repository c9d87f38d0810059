// System: the daemon's diagnostics (GET /api/info), runtimes and runners.

import { getJson } from "./api.js";
import { $, fillTable, showError } from "./dom.js";

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function keyValues(table, object) {
  fillTable(table, [], Object.entries(object || {}).map(([k, v]) => [k, text(v)]));
}

function rowsOf(table, items) {
  const columns = [...new Set((items || []).flatMap((item) => Object.keys(item)))];
  fillTable(table, columns, (items || []).map((item) => columns.map((c) => text(item[c]))));
}

export async function renderSystem() {
  showError($("system-error"), null);
  try {
    const info = await getJson("/api/info");
    keyValues($("sys-daemon"), info.daemon);
    rowsOf($("sys-runtimes"), info.runtimes);
    rowsOf($("sys-runners"), info.runners);
    keyValues($("sys-paths"), info.paths);
    $("sys-json").textContent = JSON.stringify(info, null, 2);
  } catch (error) {
    showError($("system-error"), error);
  }
}
