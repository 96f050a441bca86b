/* The verification pages (review/queue.html, review/item.html).
 *
 * - Queue: the header's box ticks every matched item on the page (shown only with JavaScript).
 * - Item: "添加一行" adds a row to the correction's editor by copying <template
 *   id="value-row-template"> with the next free index; ticking a row's 删除 box removes the
 *   row at once. Without JavaScript the empty rows at the end are there to fill and a ticked
 *   row is left out by the server.
 * No inline scripts or styles (CSP script-src 'self'; style-src 'self').
 */
(function () {
  "use strict";

  var all = document.getElementById("select-all");
  if (all) {
    var boxes = document.querySelectorAll("input.bulk-item");
    if (boxes.length) {
      all.hidden = false;
      all.addEventListener("change", function () {
        for (var i = 0; i < boxes.length; i += 1) {
          boxes[i].checked = all.checked;
        }
      });
    }
  }

  var body = document.querySelector("#value-rows tbody");
  var template = document.getElementById("value-row-template");
  var add = document.getElementById("add-value-row");
  if (!body || !template || !add) {
    return;
  }

  function renumber() {
    var rows = body.querySelectorAll("tr.value-row");
    for (var i = 0; i < rows.length; i += 1) {
      rows[i].firstElementChild.textContent = String(i + 1);
    }
  }

  function nextIndex() {
    var highest = -1;
    var rows = body.querySelectorAll("tr.value-row");
    for (var i = 0; i < rows.length; i += 1) {
      var n = parseInt(rows[i].getAttribute("data-row-index"), 10);
      if (n > highest) {
        highest = n;
      }
    }
    return highest + 1;
  }

  add.hidden = false;
  add.addEventListener("click", function () {
    var index = String(nextIndex());
    var html = template.innerHTML.split("__i__").join(index).split("__n__").join("");
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    body.appendChild(row);
    renumber();
    var first = row.querySelector("input[type=text], select");
    if (first) {
      first.focus();
    }
  });

  body.addEventListener("change", function (event) {
    var box = event.target;
    if (box.type === "checkbox" && /-remove$/.test(box.name)) {
      var row = box.closest("tr");
      if (row) {
        row.parentNode.removeChild(row);
        renumber();
      }
    }
  });
})();
