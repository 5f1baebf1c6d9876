// The console's shell: configuration, sign-in, navigation and the hash router.
// Hash routes keep it a set of static files: S3 and the local runtime serve them unchanged.
import { createApi } from "./api.js";
import { beginSignIn, currentToken, signOut } from "./auth.js";
import { loadConfig } from "./config.js";
import { h, notice, replace } from "./dom.js";
import { exportView, importView } from "./views/jobs.js";
import { listView } from "./views/list.js";
import { createView, productView } from "./views/product.js";

const ROUTES = [
  { pattern: /^#\/products\/new$/, view: createView, nav: "new" },
  { pattern: /^#\/products\/([^/?]+)$/, view: productView, nav: "products" },
  { pattern: /^#\/imports$/, view: importView, nav: "imports" },
  { pattern: /^#\/exports$/, view: exportView, nav: "exports" },
  { pattern: /^#\/(?:products)?(?:\?.*)?$/, view: listView, nav: "products" },
];

const main = document.getElementById("main");

function navigation(config) {
  const links = [
    ["products", "#/products", "Products"],
    ["new", "#/products/new", "New product"],
    ["imports", "#/imports", "Import"],
    ["exports", "#/exports", "Export"],
  ];
  const nav = document.getElementById("nav");
  replace(
    nav,
    h("ul", {}, ...links.map(([key, href, label]) => h("li", {}, h("a", { href, dataset: { nav: key }, text: label })))),
  );
  if (config.sign_in.mode === "cognito") {
    nav.append(h("button", { type: "button", class: "link", text: "Sign out", on: { click: () => signOut(config.sign_in) } }));
  }
}

function markCurrent(key) {
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.nav === key) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function route(context) {
  const hash = window.location.hash || "#/products";
  const found = ROUTES.find(({ pattern }) => pattern.test(hash));
  if (!found) {
    replace(main, h("h1", { tabindex: "-1", text: "Page not found" }), notice("error", `There is no page at ${hash}.`, h("a", { href: "#/products", text: "Back to the products" })));
    return;
  }
  markCurrent(found.nav);
  const [, ...groups] = hash.match(found.pattern);
  replace(main, notice("loading", "Loading…"));
  await found.view(main, context, ...groups.map((group) => group && decodeURIComponent(group)));
  // Keyboard and screen-reader users land on the new page's heading, not at the top of the body.
  const heading = main.querySelector("h1");
  if (heading && context.moveFocus) heading.focus();
  context.moveFocus = true;
}

// The skip link would change the hash (the router's state); it moves focus instead.
document.querySelector(".skip").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

async function start() {
  let config;
  try {
    config = await loadConfig();
  } catch (error) {
    replace(main, h("h1", { text: "The console cannot start" }), notice("error", error.message));
    return;
  }
  if (!currentToken(config.sign_in)) {
    await beginSignIn(config.sign_in, window.location.hash);
    return;
  }
  const api = createApi(config.admin_api, () => currentToken(config.sign_in), () => {
    if (config.sign_in.mode === "cognito") beginSignIn(config.sign_in, window.location.hash);
  });
  const context = { api, config, moveFocus: false, navigate: (hash) => { window.location.hash = hash; } };
  navigation(config);
  window.addEventListener("hashchange", () => route(context));
  await route(context);
}

start();
