// Browse and filter: the admin listing (most recently changed first), one page at a time.
import { ApiError } from "../api.js";
import { h, notice, replace } from "../dom.js";
import { money, stockBadge, thumbnail, when } from "../format.js";

const FILTERS = ["status", "category", "stock", "sku_prefix"];

function select(name, label, options, value) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: `filter-${name}`, text: label }),
    h(
      "select",
      { id: `filter-${name}`, name },
      h("option", { value: "", text: "Any" }),
      ...options.map(([optionValue, text]) => h("option", { value: optionValue, text, selected: optionValue === value })),
    ),
  );
}

function input(name, label, value, extra = {}) {
  return h(
    "div",
    { class: "field" },
    h("label", { for: `filter-${name}`, text: label }),
    h("input", { id: `filter-${name}`, name, value: value || "", ...extra }),
  );
}

function filterForm(query, onApply) {
  const form = h(
    "form",
    { class: "filters", "aria-label": "Filter products" },
    select("status", "Status", [["active", "Active"], ["draft", "Draft"]], query.status),
    input("category", "Category", query.category, { placeholder: "e.g. outdoor" }),
    select("stock", "Stock", [["in_stock", "In stock"], ["low_stock", "Low stock"], ["out_of_stock", "Out of stock"]], query.stock),
    input("sku_prefix", "SKU starts with", query.sku_prefix),
    h("div", { class: "actions" }, h("button", { type: "submit", text: "Apply filters" })),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    onApply(Object.fromEntries(FILTERS.map((name) => [name, String(data.get(name) || "").trim()]).filter(([, v]) => v)));
  });
  return form;
}

function productRow(product) {
  return h(
    "tr",
    {},
    h("td", {}, thumbnail(product)),
    h("td", {}, h("a", { href: `#/products/${encodeURIComponent(product.id)}`, text: product.name })),
    h("td", { class: "mono", text: product.sku }),
    h("td", { text: product.category }),
    h("td", { class: "num", text: money(product.price, product.currency) }),
    h("td", {}, stockBadge(product)),
    h("td", {}, h("span", { class: `status status-${product.status}`, text: product.status })),
    h("td", { text: when(product.updated_at) }),
  );
}

function table(items) {
  const headings = ["Image", "Name", "SKU", "Category", "Price", "Stock", "Status", "Last change"];
  return h(
    "table",
    { class: "products" },
    h("caption", { class: "visually-hidden", text: "Products, most recently changed first" }),
    h("thead", {}, h("tr", {}, ...headings.map((text) => h("th", { scope: "col", text })))),
    h("tbody", {}, ...items.map(productRow)),
  );
}

function currentQuery() {
  const [, search = ""] = window.location.hash.split("?");
  return Object.fromEntries(new URLSearchParams(search));
}

/** The products page: filters in the URL (so a filtered view can be bookmarked), pages by cursor. */
export async function listView(main, { api, navigate }) {
  const query = currentQuery();
  const results = h("section", { "aria-live": "polite", "aria-busy": "true" });
  replace(
    main,
    h("h1", { tabindex: "-1", text: "Products" }),
    filterForm(query, (filters) => navigate(`#/products?${new URLSearchParams(filters)}`)),
    results,
  );

  async function load(cursor, appendTo) {
    const more = results.querySelector(".more");
    if (more) more.remove();
    if (!appendTo) replace(results, notice("loading", "Loading products…"));
    results.setAttribute("aria-busy", "true");
    try {
      const page = await api.listProducts({ ...query, limit: 20, cursor });
      if (!appendTo && page.items.length === 0 && !page.next_cursor) {
        const filtered = FILTERS.some((name) => query[name]);
        replace(
          results,
          notice(
            "empty",
            filtered ? "No products match these filters." : "There are no products yet.",
            h("a", { href: filtered ? "#/products" : "#/products/new", text: filtered ? "Clear the filters" : "Create the first product" }),
          ),
        );
        return;
      }
      let body;
      if (appendTo) {
        body = appendTo;
        for (const item of page.items) body.append(productRow(item));
      } else {
        const built = table(page.items);
        replace(results, built);
        body = built.querySelector("tbody");
      }
      if (page.next_cursor) {
        results.append(
          h("p", { class: "more" }, h("button", { type: "button", text: "Show more", on: { click: () => load(page.next_cursor, body) } })),
        );
      }
    } catch (error) {
      const detail = error instanceof ApiError ? error.message : String(error);
      const failed = notice("error", `The products could not be loaded: ${detail}`, h("button", { type: "button", text: "Try again", on: { click: () => { failed.remove(); load(cursor, appendTo); } } }));
      // A failed "Show more" keeps the rows already shown.
      if (appendTo) results.append(failed);
      else replace(results, failed);
    } finally {
      results.setAttribute("aria-busy", "false");
    }
  }

  await load(undefined, null);
}
