// The page's shell: tabs (location hash), the API-key prompt, and each page's first render.

import { onUnauthorized, setApiKey } from "./api.js";
import { $, showError } from "./dom.js";
import { initEvaluate, renderEvaluate } from "./evaluate.js";
import { initForecast, renderForecast } from "./forecast.js";
import { initLoaded, leaveLoaded, renderLoaded } from "./loaded.js";
import { initModels, renderModels } from "./models.js";
import { renderSystem } from "./system.js";

const PAGES = {
  models: renderModels,
  loaded: renderLoaded,
  forecast: renderForecast,
  evaluate: renderEvaluate,
  system: renderSystem,
};

function current() {
  const name = location.hash.slice(1);
  return Object.hasOwn(PAGES, name) ? name : "models";
}

async function show() {
  const name = current();
  for (const page of Object.keys(PAGES)) $(`page-${page}`).hidden = page !== name;
  for (const link of document.querySelectorAll(".tabs a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (name !== "loaded") leaveLoaded();
  document.title = `tollama · ${name}`;
  await PAGES[name]();
  document.body.dataset.ready = name;
}

function askForKey(error) {
  const panel = $("key-panel");
  showError($("key-reason"), error);
  panel.hidden = false;
  $("key-input").focus();
}

function init() {
  onUnauthorized(askForKey);
  $("key-form").addEventListener("submit", (event) => {
    event.preventDefault();
    setApiKey($("key-input").value.trim());
    $("key-input").value = "";
    $("key-panel").hidden = true;
    show();
  });
  initModels();
  initLoaded();
  initForecast();
  initEvaluate();
  window.addEventListener("hashchange", show);
  show();
}

init();
