// The data comparison's progress bar (review/compare_run.html): asks the run's status every
// second and shows its stage, done/total and percentage; when the run has finished, reloads
// the page, which then shows the result (or the refusal). The state is on the server, so a
// reload at any time shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("progress-bar");
  var stage = document.getElementById("progress-stage");
  var count = document.getElementById("progress-count");
  var percent = document.getElementById("progress-percent");
  var order = ["reading", "comparing", "writing", "scoring", "signals", "done"];
  var steps = box.querySelectorAll("[data-stage]");

  function showSteps(current) {
    var at = order.indexOf(current);
    for (var i = 0; i < steps.length; i += 1) {
      var index = order.indexOf(steps[i].getAttribute("data-stage"));
      steps[i].classList.toggle("is-done", at >= 0 && index < at);
      steps[i].classList.toggle("is-current", index === at);
    }
  }

  function show(status) {
    stage.textContent = status.stage_name;
    count.textContent = status.done.toLocaleString("zh-CN") + " / " +
      status.total.toLocaleString("zh-CN");
    percent.textContent = status.percent + "%";
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
    } else {
      bar.removeAttribute("value"); // indeterminate until the size is known
    }
    bar.textContent = status.percent + "%";
    showSteps(status.stage);
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (status) {
        show(status);
        if (status.finished) {
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 1000);
      })
      .catch(function () {
        window.setTimeout(tick, 3000); // the network or the server: try again a bit later
      });
  }

  showSteps(box.getAttribute("data-stage-now"));
  window.setTimeout(tick, 1000);
})();
