// One product: create, details, edit (412-aware), stock adjustment, images and history.
import { ApiError } from "../api.js";
import { h, notice, replace } from "../dom.js";
import { money, stockBadge, thumbnail, when } from "../format.js";
import { historyList } from "./history.js";
import { imagePanel } from "./images.js";

// The create fields (SPEC, Product) in form order; `inventory` is set here on create only:
// afterwards stock changes go through the adjustment form, with a reason.
const FIELDS = [
  { name: "sku", label: "SKU", hint: "Letters, digits, dot, dash, underscore; unique", required: true },
  { name: "name", label: "Name", required: true },
  { name: "description", label: "Description", multiline: true },
  { name: "category", label: "Category", hint: "Lower-case slug, e.g. camp-kitchen", required: true },
  { name: "price", label: "Price", type: "number", step: "0.01", required: true, kind: "decimal" },
  { name: "currency", label: "Currency", hint: "ISO 4217, e.g. USD", initial: "USD" },
  { name: "inventory", label: "Stock on hand", type: "number", step: "1", kind: "integer", initial: "0", createOnly: true },
  { name: "low_stock_threshold", label: "Low-stock threshold", type: "number", step: "1", kind: "integer", initial: "5" },
  { name: "status", label: "Status", options: [["active", "Active"], ["draft", "Draft"]], initial: "active" },
];

function control(field, value) {
  const id = `field-${field.name}`;
  const described = [field.hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  const common = { id, name: field.name, "aria-describedby": described, required: field.required };
  let input;
  if (field.options) {
    input = h("select", common, ...field.options.map(([optionValue, text]) => h("option", { value: optionValue, text, selected: optionValue === value })));
  } else if (field.multiline) {
    input = h("textarea", { ...common, rows: "3" });
    input.value = value ?? "";
  } else {
    input = h("input", { ...common, type: field.type || "text", step: field.step, value: value ?? "" });
  }
  return h(
    "div",
    { class: "field" },
    h("label", { for: id, text: field.label }),
    field.hint ? h("p", { class: "hint", id: `${id}-hint`, text: field.hint }) : null,
    input,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

/** The form's values as a request body: numbers as numbers, empty optional fields left out. */
function bodyOf(form, fields) {
  const data = new FormData(form);
  const body = {};
  for (const field of fields) {
    const raw = String(data.get(field.name) ?? "");
    if (raw.trim() === "" && !field.required && field.name !== "description") continue;
    if (field.kind === "integer" || field.kind === "decimal") {
      // Sent as typed; a malformed number goes through as text, so the API names the field.
      body[field.name] = raw.trim() !== "" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    } else body[field.name] = raw;
  }
  return body;
}

function clearErrors(form) {
  for (const error of form.querySelectorAll(".field-error")) {
    error.hidden = true;
    error.textContent = "";
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/** Show each problem `errors` entry beside its field; focus the first; the rest go to `summary`. */
function showErrors(form, summary, error) {
  const byField = error.fieldErrors();
  let first = null;
  const elsewhere = [];
  for (const [field, message] of Object.entries(byField)) {
    const name = field.replace(/^body\./, "");
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (!input) {
      elsewhere.push(`${field}: ${message}`);
      continue;
    }
    input.setAttribute("aria-invalid", "true");
    const slot = form.querySelector(`#field-${CSS.escape(name)}-error`);
    slot.textContent = message;
    slot.hidden = false;
    first = first || input;
  }
  replace(summary, notice("error", Object.keys(byField).length ? "Please correct the highlighted fields." : error.message, ...elsewhere.map((text) => h("p", { text }))));
  (first || summary).focus?.();
}

/**
 * A product form. `explain(error, summary)` may take over an API error (returning true), as the
 * edit form does for 412; any other error's field errors are shown beside their fields.
 */
function productForm(fields, values, submitLabel, onSubmit, explain = () => false) {
  const summary = h("div", { class: "form-summary", tabindex: "-1" });
  const submit = h("button", { type: "submit", text: submitLabel });
  const form = h("form", { class: "product-form", novalidate: true }, summary, ...fields.map((field) => control(field, values[field.name] ?? field.initial)), h("div", { class: "actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    replace(summary);
    submit.disabled = true;
    try {
      await onSubmit(bodyOf(form, fields), summary);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (!explain(error, summary)) showErrors(form, summary, error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The create page: on success, the new product's page. */
export async function createView(main, { api, navigate }) {
  const form = productForm(FIELDS, {}, "Create product", async (body) => {
    const created = await api.createProduct(body);
    navigate(`#/products/${encodeURIComponent(created.id)}`);
  });
  replace(main, h("h1", { tabindex: "-1", text: "New product" }), form);
}

function conflictNotice(summary, reload) {
  replace(
    summary,
    notice(
      "error",
      "Someone else changed this product after you opened it, so your changes were not saved (412 Precondition Failed).",
      h("p", { text: "Reload to see the current version, then make your changes again." }),
      h("button", { type: "button", class: "reload", text: "Reload the product", on: { click: reload } }),
    ),
  );
  summary.focus();
}

function details(product) {
  const rows = [
    ["SKU", product.sku],
    ["Category", product.category],
    ["Price", money(product.price, product.currency)],
    ["Stock", stockBadge(product)],
    ["Low-stock threshold", String(product.low_stock_threshold)],
    ["Status", product.status],
    ["Version", String(product.version)],
    ["Created", when(product.created_at)],
    ["Last change", when(product.updated_at)],
  ];
  return h("dl", { class: "details" }, ...rows.flatMap(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]));
}

function stockForm(product, api, onChanged) {
  const status = h("div", { class: "form-summary", tabindex: "-1" });
  const form = h(
    "form",
    { class: "stock-form", "aria-labelledby": "stock-heading" },
    h("h2", { id: "stock-heading", text: "Adjust stock" }),
    status,
    h("div", { class: "field" }, h("label", { for: "stock-delta", text: "Change by (negative to take out)" }), h("input", { id: "stock-delta", name: "delta", type: "number", step: "1", required: true })),
    h("div", { class: "field" }, h("label", { for: "stock-reason", text: "Reason" }), h("input", { id: "stock-reason", name: "reason", required: true, placeholder: "e.g. stock count, damaged" })),
    h("p", { class: "field-error", id: "stock-error", hidden: true }),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Adjust stock" })),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const delta = Number(form.elements.delta.value);
    const reason = form.elements.reason.value.trim();
    if (!Number.isInteger(delta) || delta === 0 || !reason) {
      replace(status, notice("error", "Enter a whole number other than 0 and a reason."));
      status.focus();
      return;
    }
    try {
      const level = await api.adjustStock(product.id, { delta, reason });
      await onChanged(`Stock adjusted by ${delta} (${reason}): now ${level.inventory}.`);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(status, notice("error", `Stock was not changed: ${error.message}`));
      status.focus();
    }
  });
  return form;
}

/** A product's page: details, edit, stock, images, history. */
export async function productView(main, context, id) {
  const { api } = context;
  let product;
  try {
    product = await api.getProduct(id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    const message = error.status === 404 ? "This product does not exist (it may have been deleted)." : `The product could not be loaded: ${error.message}`;
    replace(main, h("h1", { tabindex: "-1", text: "Product" }), notice("error", message, h("a", { href: "#/products", text: "Back to the products" })));
    return;
  }
  // `message` says what just changed; it survives the re-render as a status line.
  const reload = async (message) => {
    context.moveFocus = true;
    context.flash = typeof message === "string" ? message : null;
    await productView(main, context, id);
  };
  const flash = context.flash ? notice("empty", context.flash) : null;
  context.flash = null;
  const editFields = FIELDS.filter((field) => !field.createOnly);
  const submit = async (body) => {
    const saved = await api.updateProduct(product.id, product.version, body);
    await reload(`Saved: version ${saved.version}.`);
  };
  // A 412 is explained with a reload, never shown as field errors.
  const explainConflict = (error, summary) => {
    if (error.status !== 412) return false;
    conflictNotice(summary, reload);
    return true;
  };
  const edit = productForm(editFields, product, "Save changes", submit, explainConflict);
  const history = h("section", { "aria-labelledby": "history-heading" }, h("h2", { id: "history-heading", text: "History" }));
  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/products", text: "← Products" })),
    flash,
    h("div", { class: "product-head" }, thumbnail(product, "large"), h("div", {}, h("h1", { tabindex: "-1", text: product.name }), details(product))),
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "edit-heading" }, h("h2", { id: "edit-heading", text: "Edit" }), edit),
      h("div", {}, stockForm(product, api, reload), imagePanel(product, api, reload))),
    history,
  );
  await historyList(history, api, product.id);
}
