// Models page: installed (remove with confirmation) and available models, pull with live progress.

import { getJson, postJson, postStream } from "./api.js";
import { $, el, fillTable, formatBytes, showError } from "./dom.js";

let pulling = false;

export async function renderModels() {
  showError($("models-error"), null);
  try {
    const [tags, info] = await Promise.all([getJson("/api/tags"), getJson("/api/info")]);
    const installed = tags.models;
    fillTable(
      $("installed-table"),
      ["Name", "Family", "Size", "License", "Pulled", "Actions"],
      installed.map((m) => [m.name, m.family, m.size ? formatBytes(m.size) : "built in", m.license, (m.modified_at || "").slice(0, 19).replace("T", " "), removeButton(m.name)]),
    );
    $("installed-empty").hidden = installed.length > 0;
    const names = new Set(installed.map((m) => m.name));
    const available = info.models.available;
    $("available-names").replaceChildren(...available.map((m) => el("option", { value: m.name })));
    fillTable(
      $("available-table"),
      ["Name", "Family", "License", "Actions"],
      available.map((m) => [
        m.name,
        m.family,
        m.needs_acceptance ? `${m.license} (needs acceptance)` : m.license,
        names.has(m.name)
          ? "installed"
          : el("button", { type: "button", "aria-label": `Pull ${m.name}`, onclick: () => choose(m) }, m.needs_acceptance ? "Pull…" : "Pull"),
      ]),
    );
  } catch (error) {
    showError($("models-error"), error);
  }
}

// A license that needs acceptance is never accepted for the user: the form asks them to tick it.
function choose(model) {
  $("pull-name").value = model.name;
  $("pull-accept").checked = false;
  if (model.needs_acceptance) {
    showError($("pull-error"), new Error(`${model.name} is under ${model.license}: read its license, tick "accept its license", then Pull`));
    $("pull-accept").focus();
  } else {
    $("pull-form").requestSubmit();
  }
}

function removeButton(name) {
  return el(
    "button",
    {
      type: "button",
      class: "danger",
      "aria-label": `Remove ${name}`,
      onclick: async () => {
        if (!window.confirm(`Remove ${name}? Its files are deleted; pull it again to use it.`)) return;
        try {
          const answer = await postJson("/api/delete", { model: name }, "DELETE");
          await renderModels();
          // e.g. a derived model that used it: removed as asked, but said
          $("models-warnings").replaceChildren(...(answer.warnings || []).map((w) => el("li", {}, w)));
        } catch (error) {
          showError($("models-error"), error);
        }
      },
    },
    "Remove",
  );
}

async function pull(event) {
  event.preventDefault();
  if (pulling) return;
  const name = $("pull-name").value.trim();
  const progress = $("pull-progress");
  const text = $("pull-text");
  showError($("pull-error"), null);
  $("models-warnings").replaceChildren();
  $("pull-status").hidden = false;
  progress.removeAttribute("value");
  text.textContent = `pulling ${name}…`;
  pulling = true;
  $("pull-form").querySelector("button").disabled = true;
  try {
    const body = { model: name };
    if ($("pull-accept").checked) body.accept_license = true;
    await postStream("/api/pull", body, (line) => {
      if (line.total) {
        progress.max = line.total;
        progress.value = line.completed || 0;
        text.textContent = `${line.status}: ${formatBytes(line.completed || 0)} of ${formatBytes(line.total)}`;
      } else {
        text.textContent = line.status;
      }
    });
    // Refresh the tables before saying so: "installed" then means it is in the list.
    await renderModels();
    progress.max = 1;
    progress.value = 1;
    text.textContent = `${name} is installed`;
  } catch (error) {
    $("pull-status").hidden = true;
    showError($("pull-error"), error);
    if (error.status === 409) $("pull-accept").focus();
  } finally {
    pulling = false;
    $("pull-form").querySelector("button").disabled = false;
  }
}

export function initModels() {
  $("pull-form").addEventListener("submit", pull);
}
