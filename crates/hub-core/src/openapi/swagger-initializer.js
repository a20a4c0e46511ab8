// Points Swagger UI at the spec beside this page, resolved from the page's own address so that
// it stays beneath any path prefix a proxy serves the server under. The online validator's
// badge is off: the page loads nothing from outside the server.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: new URL("openapi.json", window.location.href).href,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null,
  });
});
