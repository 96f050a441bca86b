/* The statistics page's charts (ECharts, from our static files). The data comes from the
   page's <script type="application/json" id="statistics-charts"> block (json_script), one
   entry per [data-chart] element:
     {type: "bar"|"line"|"pie", categories: [...], series: [{name, data, type?, axis?}],
      horizontal?: bool, axes?: [left name, right name], markLine?: {category, label}}
   No inline scripts: the Content-Security-Policy allows only our own files. */
(function () {
  "use strict";

  var node = document.getElementById("statistics-charts");
  if (!node || typeof window.echarts === "undefined") {
    return;
  }
  var specs = JSON.parse(node.textContent);
  var COLORS = ["#1f4e8c", "#c0392b", "#2e8b57", "#d68910", "#7d3c98", "#117a8b"];

  function pieOption(spec) {
    var s = spec.series[0];
    return {
      color: COLORS,
      animation: false,
      tooltip: { trigger: "item", formatter: "{b}：{c} 人（{d}%）" },
      legend: { type: "scroll", bottom: 0 },
      series: [{
        name: s.name,
        type: "pie",
        radius: ["35%", "65%"],
        data: spec.categories.map(function (c, i) { return { name: c, value: s.data[i] }; }),
        label: { formatter: "{b}\n{d}%" }
      }]
    };
  }

  function axisOption(spec) {
    // A horizontal chart lists its categories top down, in the table's order.
    var category = {
      type: "category",
      data: spec.categories,
      inverse: !!spec.horizontal,
      axisLabel: { interval: 0, hideOverlap: true, width: 170, overflow: "truncate" }
    };
    var values = (spec.axes || [""]).map(function (name, i) {
      return { type: "value", name: name, scale: spec.type === "line" && i === 0 };
    });
    var series = spec.series.map(function (s) {
      var out = {
        name: s.name,
        type: s.type || spec.type,
        data: s.data,
        yAxisIndex: spec.horizontal ? undefined : (s.axis || 0),
        label: { show: spec.horizontal, position: "right" }
      };
      if (s.type === "bar" && spec.type === "line") {
        out.itemStyle = { opacity: 0.35 };
      }
      return out;
    });
    if (spec.markLine && series.length) {
      var mark = {};
      mark[spec.horizontal ? "yAxis" : "xAxis"] = spec.markLine.category;
      series[0].markLine = {
        symbol: "none",
        silent: true,
        lineStyle: { color: "#c0392b", type: "dashed", width: 2 },
        label: { formatter: spec.markLine.label, position: "end" },
        data: [mark]
      };
    }
    return {
      color: COLORS,
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: spec.horizontal ? 180 : 56, right: spec.axes ? 64 : 24, top: 40, bottom: 48 },
      xAxis: spec.horizontal ? values[0] : category,
      yAxis: spec.horizontal ? category : values,
      series: series
    };
  }

  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), function (el) {
    var spec = specs[el.getAttribute("data-chart")];
    if (!spec) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(spec.type === "pie" ? pieOption(spec) : axisOption(spec));
    el.setAttribute("data-rendered", "true");
    charts.push(chart);
  });
  window.addEventListener("resize", function () {
    charts.forEach(function (c) { c.resize(); });
  });
})();
