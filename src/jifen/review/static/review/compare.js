// The data comparison's progress bar (review/compare_run.html): shows the run's stage (and the
// steps done), done/total and percentage from each status the shared poller
// (web/js/progress.js) fetches; when the run has finished the page reloads and shows the result
// (or the refusal). The state is on the server, so a reload at any time shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch || !window.jifenProgress) {
    return;
  }
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

  showSteps(box.getAttribute("data-stage-now"));
  window.jifenProgress.poll(box.getAttribute("data-status-url"), function (status) {
    stage.textContent = status.stage_name;
    count.textContent = status.done.toLocaleString("zh-CN") + " / " +
      status.total.toLocaleString("zh-CN");
    percent.textContent = status.percent + "%";
    window.jifenProgress.bar(bar, status);
    showSteps(status.stage);
  });
})();
