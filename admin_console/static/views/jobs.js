// Bulk jobs: import a file (upload, then watch its counts grow and read its row errors) and
// export the catalog (start, wait, download).
import { ApiError, readJsonLines, uploadFile } from "../api.js";
import { h, notice, replace } from "../dom.js";

const POLL_MS = 500;
const FORMATS = { csv: "csv", jsonl: "jsonl", ndjson: "jsonl" };
const IMPORT_MAX_BYTES = 100 * 1024 * 1024;

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll `read` until the job is no longer pending, calling `show` with every state seen. */
async function watch(read, show) {
  for (;;) {
    const job = await read();
    show(job);
    if (job.state === "succeeded" || job.state === "failed") return job;
    await sleep(POLL_MS);
  }
}

function counts(rows) {
  const names = ["total", "created", "updated", "unchanged", "failed"];
  return h("dl", { class: "counts" }, ...names.flatMap((name) => [h("dt", { text: name }), h("dd", { "data-count": name, text: String(rows?.[name] ?? 0) })]));
}

function errorTable(errors) {
  return h(
    "table",
    { class: "row-errors" },
    h("caption", { text: "Rows that were not imported" }),
    h("thead", {}, h("tr", {}, ...["Line", "SKU", "Problem"].map((text) => h("th", { scope: "col", text })))),
    h("tbody", {}, ...errors.map((error) => h("tr", {}, h("td", { text: String(error.row) }), h("td", { class: "mono", text: error.sku ?? "—" }), h("td", { text: error.errors.map((e) => `${e.field}: ${e.message}`).join("; ") })))),
  );
}

/** The import page. */
export async function importView(main, { api }) {
  const progress = h("section", { class: "job", "aria-live": "polite" });
  const input = h("input", { id: "import-file", name: "file", type: "file", accept: ".csv,.jsonl,.ndjson", required: true, "aria-describedby": "import-hint" });
  const form = h(
    "form",
    { class: "job-form" },
    h("div", { class: "field" }, h("label", { for: "import-file", text: "Catalog file" }), h("p", { class: "hint", id: "import-hint", text: "CSV with a header row, or JSON Lines (.jsonl, .ndjson); one product a row, keyed by SKU; at most 100 MiB" }), input),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Start import" })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [file] = input.files;
    const format = file && FORMATS[file.name.split(".").pop().toLowerCase()];
    if (!file || !format) {
      replace(progress, notice("error", "Choose a .csv, .jsonl or .ndjson file."));
      return;
    }
    if (file.size === 0 || file.size > IMPORT_MAX_BYTES) {
      replace(progress, notice("error", `${file.name} must hold between 1 byte and 100 MiB.`));
      return;
    }
    const bar = h("progress", { id: "import-progress", max: "1", value: "0", "aria-label": "Import progress" });
    const state = h("p", { class: "job-state", text: "Uploading…" });
    const table = counts({});
    replace(progress, h("h2", { text: `Importing ${file.name}` }), state, bar, table);
    try {
      const ticket = await api.startImport(format, file);
      await uploadFile(ticket.upload, file);
      const job = await watch(
        () => api.getImport(ticket.import_id),
        (current) => {
          const rows = current.rows || {};
          const done = (rows.created || 0) + (rows.updated || 0) + (rows.unchanged || 0) + (rows.failed || 0);
          state.textContent = `State: ${current.state.replace("_", " ")}`;
          bar.max = Math.max(rows.total || 1, 1);
          bar.value = current.state === "succeeded" ? bar.max : done;
          replace(table, ...counts(rows).childNodes);
        },
      );
      if (job.state === "failed") {
        progress.append(notice("error", `The import failed: ${job.detail || "the file could not be read"}. No product was changed.`));
      } else {
        progress.append(notice("empty", `Import finished: ${job.rows.created} created, ${job.rows.updated} updated, ${job.rows.unchanged} unchanged, ${job.rows.failed} failed.`));
      }
      if (job.errors_url) progress.append(errorTable(await readJsonLines(job.errors_url)));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      progress.append(notice("error", `The import could not run: ${error.message}`));
    }
  });
  replace(main, h("h1", { tabindex: "-1", text: "Import products" }), form, progress);
}

/** The export page. */
export async function exportView(main, { api }) {
  const progress = h("section", { class: "job", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "job-form" },
    h("div", { class: "field" }, h("label", { for: "export-format", text: "Format" }), h("select", { id: "export-format", name: "format" }, h("option", { value: "csv", text: "CSV" }), h("option", { value: "jsonl", text: "JSON Lines" }))),
    h("div", { class: "field" }, h("label", { for: "export-status", text: "Products" }), h("select", { id: "export-status", name: "status" }, h("option", { value: "", text: "All" }), h("option", { value: "active", text: "Active only" }), h("option", { value: "draft", text: "Drafts only" }))),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Start export" })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { format: String(data.get("format")) };
    if (data.get("status")) body.status = String(data.get("status"));
    const state = h("p", { class: "job-state", text: "Starting…" });
    replace(progress, h("h2", { text: "Export" }), state);
    try {
      const { export_id: id } = await api.startExport(body);
      const job = await watch(() => api.getExport(id), (current) => {
        state.textContent = `State: ${current.state}`;
      });
      if (job.state === "failed") {
        progress.append(notice("error", `The export failed: ${job.detail || "unknown reason"}.`));
        return;
      }
      const link = h("a", { class: "button download", href: job.download_url, download: `catalog-export.${job.format}`, text: `Download ${job.rows} products (${job.format.toUpperCase()})` });
      progress.append(h("p", {}, link), h("p", { class: "hint", text: `The link is valid for ${Math.round(job.expires_in / 60)} minutes.` }));
      link.focus();
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      progress.append(notice("error", `The export could not run: ${error.message}`));
    }
  });
  replace(main, h("h1", { tabindex: "-1", text: "Export products" }), form, progress);
}
