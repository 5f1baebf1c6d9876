// Starts Swagger UI on the runtime's own OpenAPI document and, on this loopback-only runtime,
// authorizes it with the dev token the console's config carries, so "Try it out" works at once.
(function start() {
  "use strict";
  const token = fetch("/console/config.json", { cache: "no-store" })
    .then((response) => (response.ok ? response.json() : null))
    .then((config) => (config && config.sign_in && config.sign_in.mode === "dev-token" ? config.sign_in.token : null))
    .catch(() => null);
  const ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    // No validator badge: it would call a remote service.
    validatorUrl: null,
    // Authorizing needs the loaded document's security schemes, so it waits for it.
    onComplete: () => {
      token.then((value) => {
        // "cognito" is the name of the bearer scheme in the OpenAPI document.
        if (value) ui.preauthorizeApiKey("cognito", value);
      });
    },
  });
  window.ui = ui;
})();
