// How values are shown. The stock rule mirrors the public view's `availability` (SPEC, Product):
// 0 is out of stock, below the product's own threshold is low.
import { h } from "./dom.js";

export const STOCK_LABELS = {
  in_stock: "In stock",
  low_stock: "Low stock",
  out_of_stock: "Out of stock",
};

/** `in_stock`, `low_stock` or `out_of_stock` for an admin product. */
export function availability(product) {
  if (product.inventory === 0) return "out_of_stock";
  return product.inventory < product.low_stock_threshold ? "low_stock" : "in_stock";
}

/** A stock badge: the words carry the meaning, the colour only repeats it. */
export function stockBadge(product) {
  const state = availability(product);
  return h("span", { class: `badge badge-${state}`, text: `${STOCK_LABELS[state]} (${product.inventory})` });
}

/** A price in its currency, as the API keeps it (exact decimal text). */
export function money(price, currency) {
  return `${Number(price).toFixed(2)} ${currency}`;
}

/** An RFC 3339 time in the admin's locale, to the minute. */
export function when(timestamp) {
  if (!timestamp) return "—";
  return new Date(timestamp).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A product's thumbnail, or a labelled placeholder when it has no image yet. */
export function thumbnail(product, size = "small") {
  const image = (product.images || [])[0];
  if (!image) return h("span", { class: `thumb thumb-${size} thumb-empty`, text: "No image" });
  return h("img", { class: `thumb thumb-${size}`, src: image.url, alt: `Image of ${product.name}` });
}
