// Diagrams are drawn from object text. Whatever configuration the theme asks for, Mermaid must
// keep its strict security level and draw labels as SVG text, never as HTML: with HTML labels a
// node named `<img src=...>` would become an element of the page.
(function () {
  "use strict";
  if (typeof window.mermaid === "undefined") return;
  var initialize = window.mermaid.initialize.bind(window.mermaid);
  window.mermaid.initialize = function (config) {
    var safe = Object.assign({}, config || {});
    safe.securityLevel = "strict";
    safe.htmlLabels = false;
    safe.flowchart = Object.assign({}, safe.flowchart || {}, { htmlLabels: false });
    return initialize(safe);
  };
})();
