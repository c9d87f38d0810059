// System: the daemon's diagnostics (GET /api/info), runtimes and runners.

import { getJson } from "./api.js";
import { $, fillTable, formatBytes, showError } from "./dom.js";

const RUNTIME_COLUMNS = ["family", "status", "uses_runtime", "python", "size_bytes", "detail"];

function text(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function keyValues(table, object) {
  fillTable(table, [], Object.entries(object || {}).map(([k, v]) => [k, text(v)]));
}

function rowsOf(table, items, only) {
  const columns = only || [...new Set((items || []).flatMap((item) => Object.keys(item)))];
  if (!columns.length) columns.push("none running");
  fillTable(table, columns, (items || []).map((item) => columns.map((c) => text(item[c]))));
}

export async function renderSystem() {
  showError($("system-error"), null);
  try {
    const info = await getJson("/api/info");
    keyValues($("sys-daemon"), info.daemon);
    const runtimes = (info.runtimes || []).map((r) => ({ ...r, size_bytes: r.size_bytes ? formatBytes(r.size_bytes) : "" }));
    rowsOf($("sys-runtimes"), runtimes, RUNTIME_COLUMNS);
    rowsOf($("sys-runners"), info.runners);
    keyValues($("sys-paths"), info.paths);
    $("sys-json").textContent = JSON.stringify(info, null, 2);
  } catch (error) {
    showError($("system-error"), error);
  }
}
