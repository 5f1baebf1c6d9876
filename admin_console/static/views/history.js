// A product's history: its events from the event log, newest first, a page at a time.
import { ApiError } from "../api.js";
import { h, notice, replace } from "../dom.js";
import { when } from "../format.js";

const TITLES = {
  "catalog.product.created.v1": "Created",
  "catalog.product.updated.v1": "Updated",
  "catalog.product.deleted.v1": "Deleted",
  "catalog.inventory.changed.v1": "Stock changed",
  "catalog.inventory.low.v1": "Stock low",
  "catalog.inventory.depleted.v1": "Stock depleted",
  "catalog.inventory.restocked.v1": "Restocked",
};

function summary(event) {
  const data = event.data || {};
  if ("quantity" in data) {
    const reason = data.reason ? ` — ${data.reason}` : "";
    return `${data.previous_quantity} → ${data.quantity}${reason}`;
  }
  if (data.changed) return `changed ${data.changed.join(", ")}`;
  return "";
}

function entry(event) {
  return h(
    "li",
    { class: "event" },
    h("span", { class: "event-type", text: TITLES[event.type] || event.type }),
    h("span", { class: "event-detail", text: summary(event) }),
    h("span", { class: "event-meta", text: `v${event.data?.version ?? "?"} · ${when(event.time)}` }),
  );
}

/** Fill `section` with the product's history (its heading stays). */
export async function historyList(section, api, productId) {
  const body = h("div", { "aria-live": "polite" }, notice("loading", "Loading the history…"));
  section.append(body);
  const list = h("ol", { class: "history" });

  async function load(cursor) {
    try {
      const page = await api.history(productId, cursor);
      if (!cursor && page.items.length === 0) {
        replace(body, notice("empty", "No events recorded for this product yet (events appear a moment after a change)."));
        return;
      }
      if (!cursor) replace(body, list);
      body.querySelector(".more")?.remove();
      for (const event of page.items) list.append(entry(event));
      if (page.next_cursor) {
        body.append(h("p", { class: "more" }, h("button", { type: "button", text: "Older events", on: { click: () => load(page.next_cursor) } })));
      }
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(body, notice("error", `The history could not be loaded: ${error.message}`, h("button", { type: "button", text: "Try again", on: { click: () => load(cursor) } })));
    }
  }

  await load(undefined);
}
