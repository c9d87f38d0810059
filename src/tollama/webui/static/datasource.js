// The "Data" box of the forecast and evaluation forms: a bundled example, or pasted/uploaded CSV.
// The CSV is read by the daemon with the CLI's own code (POST /api/ui/csv), so its errors name
// the line and column in the daemon's words.

import { postJson } from "./api.js";

export const EXAMPLES = [
  { file: "airpassengers.csv", label: "Air passengers (monthly, 1 series)", horizon: 12 },
  { file: "daily_visits.csv", label: "Daily visits (daily, 2 series)", horizon: 14 },
];

export class DataSource {
  constructor(fieldset, prefix, horizonInput) {
    fieldset.append(document.getElementById("data-source-template").content.cloneNode(true));
    const part = (role) => fieldset.querySelector(`[data-role="${role}"]`);
    this.kinds = [...fieldset.querySelectorAll('[data-role="kind"]')];
    this.kinds.forEach((radio) => {
      radio.name = `${prefix}-kind`;
      radio.id = `${prefix}-kind-${radio.value}`;
      radio.addEventListener("change", () => this.sync());
    });
    this.example = part("example");
    this.example.id = `${prefix}-example`;
    part("example-label").htmlFor = this.example.id;
    this.csv = part("csv");
    this.csv.id = `${prefix}-csv`;
    part("csv-label").htmlFor = this.csv.id;
    this.file = part("file");
    this.file.id = `${prefix}-file`;
    part("file-label").htmlFor = this.file.id;
    this.exampleBox = part("example-box");
    this.pasteBox = part("paste-box");
    this.fileName = null;
    for (const example of EXAMPLES) {
      const option = document.createElement("option");
      option.value = example.file;
      option.textContent = example.label;
      this.example.append(option);
    }
    this.example.addEventListener("change", () => {
      const chosen = EXAMPLES.find((e) => e.file === this.example.value);
      if (chosen && horizonInput) horizonInput.value = chosen.horizon;
    });
    this.file.addEventListener("change", async () => {
      const chosen = this.file.files[0];
      if (!chosen) return;
      this.csv.value = await chosen.text();
      this.fileName = chosen.name.replace(/\.[^.]*$/, "") || null;
    });
    this.csv.addEventListener("input", () => {
      this.fileName = null;
    });
    this.sync();
  }

  get kind() {
    return this.kinds.find((r) => r.checked).value;
  }

  sync() {
    this.exampleBox.hidden = this.kind !== "example";
    this.pasteBox.hidden = this.kind !== "paste";
  }

  async text() {
    if (this.kind === "paste") return { text: this.csv.value, name: this.fileName || "series" };
    const response = await fetch(`/ui/examples/${encodeURIComponent(this.example.value)}`);
    if (!response.ok) throw new Error(`the bundled example ${this.example.value} could not be read (${response.status})`);
    return { text: await response.text(), name: this.example.value.replace(/\.csv$/, "") };
  }

  // {request, history}: the forecast request body the CLI would build from this CSV.
  async read(horizon, freq) {
    const { text, name } = await this.text();
    return postJson("/api/ui/csv", { csv: text, horizon, freq: freq || null, name });
  }
}
