// The progress pages' shared poller (the data comparison, the scoring run): asks a run's status
// URL every second, hands each status to the page's own `show`, and reloads the page once the
// run has finished (the page then shows the result). A failed request (the network, the server)
// is tried again a bit later. Also fills a <progress> bar from a status's done/total/percent.
(function () {
  "use strict";

  function bar(element, status) {
    if (status.total > 0) {
      element.max = status.total;
      element.value = status.done;
    } else {
      element.removeAttribute("value"); // indeterminate until the size is known
    }
    element.textContent = status.percent + "%";
  }

  function poll(url, show) {
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
          window.setTimeout(tick, 3000);
        });
    }
    window.setTimeout(tick, 1000);
  }

  window.jifenProgress = { bar: bar, poll: poll };
})();
