// Face boxes over the asset's preview: placed from their fractions (data-face="l t r b").
(function () {
  "use strict";
  document.querySelectorAll("[data-face]").forEach(function (box) {
    var p = box.getAttribute("data-face").split(" ").map(Number);
    if (p.length !== 4 || p.some(isNaN)) { return; }
    box.style.left = (p[0] * 100) + "%";
    box.style.top = (p[1] * 100) + "%";
    box.style.width = ((p[2] - p[0]) * 100) + "%";
    box.style.height = ((p[3] - p[1]) * 100) + "%";
  });
})();
