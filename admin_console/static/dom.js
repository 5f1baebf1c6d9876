// A tiny element builder: the console builds its DOM from data, never from HTML strings, so no
// markup is ever interpreted from an API value and no inline handler or style attribute exists.

/**
 * Create an element.
 * @param {string} tag
 * @param {Record<string, unknown>} [props] `class`, `text`, `on` ({event: handler}), `dataset`,
 *   DOM properties (value, checked, hidden, disabled...) or attributes (anything else)
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = String(value);
    else if (name === "text") element.textContent = String(value);
    else if (name === "on") {
      for (const [event, handler] of Object.entries(value)) element.addEventListener(event, handler);
    } else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name in element && typeof value !== "string") element[name] = value;
    else if (name === "value") element.value = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, ...children);
  return element;
}

/** Append children, skipping empty ones and turning strings into text. */
export function append(parent, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return parent;
}

/** Replace every child of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, ...children);
}

/** A status message: `kind` is "loading", "empty" or "error"; role makes screen readers say it. */
export function notice(kind, message, ...extra) {
  const role = kind === "error" ? "alert" : "status";
  return h("div", { class: `notice notice-${kind}`, role }, h("p", { text: message }), ...extra);
}
