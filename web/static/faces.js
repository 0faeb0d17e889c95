// Face boxes over the asset's preview (staff): read from /material/<id>/rostros.json and placed
// from their fractions of the picture, with the name or "¿Quién es?" linking to the group.
(function () {
  "use strict";
  var layer = document.querySelector("[data-face-boxes]");
  if (!layer) { return; }
  fetch(layer.getAttribute("data-face-boxes"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : { faces: [] }; })
    .then(function (data) {
      data.faces.forEach(function (face) {
        var box = document.createElement("a");
        var label = document.createElement("span");
        var b = face.box;
        box.className = "face-box" + (face.name ? "" : " is-unknown");
        box.href = face.href;
        box.setAttribute("data-face", b.join(" "));
        box.style.left = (b[0] * 100) + "%";
        box.style.top = (b[1] * 100) + "%";
        box.style.width = ((b[2] - b[0]) * 100) + "%";
        box.style.height = ((b[3] - b[1]) * 100) + "%";
        label.textContent = face.name || layer.getAttribute("data-unknown");
        label.dir = "auto";
        box.appendChild(label);
        layer.appendChild(box);
      });
      layer.setAttribute("data-loaded", String(data.faces.length));
    })
    .catch(function () { /* the page works without its face boxes */ });
})();
