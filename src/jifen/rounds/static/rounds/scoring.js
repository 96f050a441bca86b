// The scoring run's progress bar (rounds/scoring.html): asks the run's status every second and
// shows its stage, done/total, percentage, rate and time left; when the run has finished,
// reloads the page, which then shows the result. The state is on the server (the run's row),
// so a reload at any time shows the same.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.fetch) {
    return;
  }
  var url = box.getAttribute("data-status-url");
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

  function show(status) {
    state.textContent = status.state_name;
    stage.textContent = status.stage_name;
    count.textContent = number(status.done) + " / " + number(status.total);
    percent.textContent = status.percent + "%";
    if (status.total > 0) {
      bar.max = status.total;
      bar.value = status.done;
    } else {
      bar.removeAttribute("value"); // indeterminate until the size is known
    }
    bar.textContent = status.percent + "%";
    rate.textContent = status.rate ? "每秒 " + number(status.rate) + " 份" : "正在计算速度";
    left.textContent = status.seconds_left === null ? "预计时间计算中"
      : "预计还需 " + number(status.seconds_left) + " 秒";
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

  window.setTimeout(tick, 1000);
})();
