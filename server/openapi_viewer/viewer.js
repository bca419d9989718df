// Starts Swagger UI on /schema. Kept out of the page so the CSP can forbid inline scripts.
"use strict";
(function () {
  var container = document.getElementById("swagger-ui");
  if (!container || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  window.SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    domNode: container,
    deepLinking: true,
    // Otherwise the page asks validator.swagger.io about the schema: nothing leaves this server.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();
