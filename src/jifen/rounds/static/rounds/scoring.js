// The scoring run's progress bar (rounds/scoring.html): shows the run's stage, done/total,
// percentage, rate and time left from each status the shared poller (web/js/progress.js)
// fetches; when the run has finished the page reloads and shows the result. The state is on
// the server (the run's row), so a reload at any time shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch || !window.jifenProgress) {
    return;
  }
  var bar = document.getElementById("progress-bar");
  var state = document.getElementById("progress-state");
  var stage = document.getElementById("progress-stage");
  var count = document.getElementById("progress-count");
  var percent = document.getElementById("progress-percent");
  var rate = document.getElementById("progress-rate");
  var left = document.getElementById("progress-left");

  function number(n) {
    return n.toLocaleString("zh-CN");
  }

  window.jifenProgress.poll(box.getAttribute("data-status-url"), function (status) {
    state.textContent = status.state_name;
    stage.textContent = status.stage_name;
    count.textContent = number(status.done) + " / " + number(status.total);
    percent.textContent = status.percent + "%";
    window.jifenProgress.bar(bar, status);
    rate.textContent = status.rate ? "每秒 " + number(status.rate) + " 份" : "正在计算速度";
    left.textContent = status.seconds_left === null ? "预计时间计算中"
      : "预计还需 " + number(status.seconds_left) + " 秒";
  });
})();
