// Starts Swagger UI on the runtime's own OpenAPI document and, on this loopback-only runtime,
// authorizes it with the dev token the console's config carries, so "Try it out" works at once.
(function start() {
  "use strict";
  const ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    // No validator badge: it would call a remote service.
    validatorUrl: null,
  });
  window.ui = ui;
  fetch("/console/config.json", { cache: "no-store" })
    .then((response) => (response.ok ? response.json() : null))
    .then((config) => {
      if (config && config.sign_in && config.sign_in.mode === "dev-token") {
        // "cognito" is the name of the bearer scheme in the OpenAPI document.
        ui.preauthorizeApiKey("cognito", config.sign_in.token);
      }
    })
    .catch(() => undefined);
})();
