"""The report's sections as display data, shared by the HTML preview, the PDF and the XLSX.

:func:`sections` turns :func:`jifen.ops.reports.collect.collect`'s dict into a list of
sections, each with its Chinese heading, sentences, SVG charts and tables (caption, headers,
rows of text or numbers) and the native XLSX charts to draw from those tables. A section with
nothing to show has ``empty`` set and says 本期无记录.
"""

from __future__ import annotations

from typing import Any

from . import charts
from .collect import WORK_LABELS

NO_RECORDS = "本期无记录"
NUMERALS = "一二三四五六七八九十"

# The sections of each kind of report, in order. The monthly inspection report is the
# inspection side of the month; the quarterly and annual reports have all of them.
SECTION_TITLES: dict[str, str] = {
    "work": "工作概况",
    "service": "服务统计与分析",
    "complaints": "意见反馈与投诉统计",
    "incidents": "故障分析",
    "capacity": "容量分析",
    "availability": "可用性分析",
    "configuration": "配置状态",
    "sla": "服务水平（SLA）评价",
    "inspections": "巡检情况汇总",
    "documents": "交付文档清单",
}
KIND_SECTIONS: dict[str, tuple[str, ...]] = {
    "month": ("work", "inspections", "capacity", "availability", "incidents", "documents"),
    "quarter": tuple(SECTION_TITLES),
    "year": tuple(SECTION_TITLES),
}


def _r(value: float | None, digits: int = 2) -> float | str:
    return "—" if value is None else round(value, digits)


def _pct(value: float | None) -> str:
    return NO_RECORDS if value is None else f"{value:.2f}%"


def _met(value: bool | None) -> str:
    return "—" if value is None else ("达标" if value else "未达标")


def _table(caption: str, headers: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    return {"caption": caption, "headers": headers, "rows": rows}


def _section(key: str, *, empty: bool, **parts: Any) -> dict[str, Any]:
    return {
        "key": key,
        "title": SECTION_TITLES[key],
        "empty": empty,
        "notes": parts.get("notes", []),
        "charts": parts.get("charts", []),
        "tables": parts.get("tables", []),
        "xlsx_charts": parts.get("xlsx_charts", []),
    }


def _work(d: dict[str, Any]) -> dict[str, Any]:
    w = d["work"]
    return _section(
        "work",
        empty=not any(w.values()),
        tables=[
            _table(
                "本期完成的运维工作",
                ["工作项", "数量"],
                [[WORK_LABELS[k], w[k]] for k in WORK_LABELS],
            )
        ],
    )


def _service(d: dict[str, Any]) -> dict[str, Any]:
    s = d["service"]
    months = [m["month"] for m in s["by_month"]]
    return _section(
        "service",
        empty=s["visits"] == 0,
        notes=[
            f"本期现场服务 {s['visits']} 次，甲方确认 {s['signed_off']} 次，评价 {s['rated']} 次；"
            f"平均满意度 {s['satisfaction_mean'] if s['satisfaction_mean'] is not None else '—'}"
            f"（5 分制），满意率 {_pct(s['satisfied_percent'])}，目标 {s['target']:g}%，"
            f"{_met(s['met'])}。"
        ],
        charts=[
            charts.bar_chart(
                months, [m["visits"] for m in s["by_month"]], title="每月现场服务次数", unit="次"
            )
        ],
        tables=[
            _table(
                "每月现场服务",
                ["月份", "服务次数", "平均满意度"],
                [[m["month"], m["visits"], _r(m["satisfaction_mean"])] for m in s["by_month"]],
            ),
            _table(
                "满意度分布", ["评价", "次数"], [[r["label"], r["count"]] for r in s["by_rating"]]
            ),
        ],
        xlsx_charts=[{"type": "column", "table": 0, "values": [1], "title": "每月现场服务次数"}],
    )


def _complaints(d: dict[str, Any]) -> dict[str, Any]:
    c = d["complaints"]
    return _section(
        "complaints",
        empty=c["received"] == 0,
        notes=[
            f"本期受理投诉 {c['received']} 件，已答复 {c['answered']} 件"
            f"（按期 {c['answered_on_time']} 件，逾期 {c['answered_late']} 件），"
            f"未答复 {c['open']} 件（其中已超期 {c['overdue']} 件）。"
            f"答复率 {_pct(c['reply_rate'])}，"
            f"目标 {c['target']:g}%，{_met(c['reply_met'])}；"
            f"{c['working_days']} 个工作日内答复率 {_pct(c['on_time_rate'])}。"
            f"升级处理 {c['escalated']} 件（其中升级至管理层 {c['escalated_management']} 件）。"
        ],
        charts=[
            charts.bar_chart(
                [x["label"] for x in c["by_channel"]],
                [x["count"] for x in c["by_channel"]],
                title="投诉受理渠道",
                unit="件",
            )
        ],
        tables=[
            _table(
                "投诉处理情况",
                ["项目", "数值"],
                [
                    ["受理", c["received"]],
                    ["已答复", c["answered"]],
                    ["按期答复", c["answered_on_time"]],
                    ["逾期答复", c["answered_late"]],
                    ["未答复", c["open"]],
                    ["未答复且已超期", c["overdue"]],
                    ["答复率（%）", _r(c["reply_rate"])],
                    ["按期答复率（%）", _r(c["on_time_rate"])],
                    ["答复率目标（%）", c["target"]],
                    ["升级至甲方运维负责人及以上", c["escalated"]],
                    ["升级至管理层", c["escalated_management"]],
                ],
            ),
            _table(
                "按受理渠道", ["渠道", "件数"], [[x["label"], x["count"]] for x in c["by_channel"]]
            ),
        ],
    )


def _incidents(d: dict[str, Any]) -> dict[str, Any]:
    i = d["incidents"]
    tables = [
        _table("按级别", ["级别", "起数"], [[x["label"], x["count"]] for x in i["by_severity"]]),
        _table(
            "按发现途径", ["发现途径", "起数"], [[x["label"], x["count"]] for x in i["by_channel"]]
        ),
        _table("按故障来源", ["来源", "起数"], [[x["label"], x["count"]] for x in i["by_kind"]]),
        _table(
            "响应与处理时效",
            ["指标", "时限", "应计起数", "达标起数", "达标率（%）", "平均用时"],
            [
                [
                    "故障响应",
                    f"{i['response_target']} 分钟",
                    i["response_due"],
                    i["response_within"],
                    _r(i["response_rate"]),
                    "—"
                    if i["response_mean_minutes"] is None
                    else f"{i['response_mean_minutes']} 分钟",
                ],
                [
                    "一般故障处理完成",
                    f"{i['resolve_target']:g} 小时",
                    i["resolve_due"],
                    i["resolve_within"],
                    _r(i["resolve_rate"]),
                    "—" if i["resolve_mean_hours"] is None else f"{i['resolve_mean_hours']} 小时",
                ],
            ],
        ),
    ]
    if i["major"]:
        tables.append(
            _table(
                "重大故障",
                ["故障单号", "标题", "发现时间", "启动应急预案", "完成时间", "状态", "升级原因"],
                [
                    [
                        m["number"],
                        m["title"],
                        m["reported_at"],
                        m["emergency_plan_started_at"] or "—",
                        m["completed_at"] or "—",
                        m["status"],
                        m["escalation_reason"],
                    ]
                    for m in i["major"]
                ],
            )
        )
    return _section(
        "incidents",
        empty=i["total"] == 0,
        notes=[
            f"本期登记故障 {i['total']} 起，其中重大故障 {len(i['major'])} 起，"
            f"未处理完成 {i['unresolved']} 起。{i['response_target']} 分钟内响应率 "
            f"{_pct(i['response_rate'])}，一般故障 {i['resolve_target']:g} 小时内处理完成率 "
            f"{_pct(i['resolve_rate'])}。"
        ],
        charts=[
            charts.bar_chart(
                [x["label"] for x in i["by_severity"]],
                [x["count"] for x in i["by_severity"]],
                title="故障级别分布",
                unit="起",
            )
        ],
        tables=tables,
    )


def _capacity(d: dict[str, Any]) -> dict[str, Any]:
    c = d["capacity"]
    points = c["points"]
    dates = [p["date"][5:] for p in points]
    db_mb = [
        None if p["database_bytes"] is None else round(p["database_bytes"] / 1024**2, 1)
        for p in points
    ]
    notes = [c["projection"]]
    if c["database_trend"]:
        notes.append(
            f"数据库大小平均每日增长 {c['database_trend']['slope_per_day'] / 1024**2:.2f} MB。"
        )
    return _section(
        "capacity",
        empty=not points,
        notes=notes,
        charts=[
            charts.line_chart(
                dates,
                [("磁盘使用率", [p["disk_used_percent"] for p in points])],
                title="磁盘使用率",
                unit="%",
                threshold=(f"告警阈值 {c['warn_percent']:g}%", c["warn_percent"]),
            ),
            charts.line_chart(dates, [("数据库大小", db_mb)], title="数据库大小", unit="MB"),
        ],
        tables=[
            _table(
                "每日容量",
                ["日期", "磁盘使用率（%）", "数据库大小（MB）", "磁盘已用（GB）"],
                [
                    [
                        p["date"],
                        "—" if p["disk_used_percent"] is None else p["disk_used_percent"],
                        "—" if mb is None else mb,
                        "—"
                        if p["disk_used_bytes"] is None
                        else round(p["disk_used_bytes"] / 1024**3, 2),
                    ]
                    for p, mb in zip(points, db_mb, strict=True)
                ],
            ),
            _table(
                "趋势与预测",
                ["项目", "数值"],
                [
                    [
                        "磁盘使用率日均变化（百分点）",
                        _r((c["disk_trend"] or {}).get("slope_per_day"), 4),
                    ],
                    ["告警阈值（%）", c["warn_percent"]],
                    ["预计达到告警阈值日期", c["warn_date"] or "—"],
                    ["异常阈值（%）", c["critical_percent"]],
                    ["预计达到异常阈值日期", c["critical_date"] or "—"],
                ],
            ),
        ],
        xlsx_charts=[
            {"type": "line", "table": 0, "values": [1], "title": "磁盘使用率（%）"},
            {"type": "line", "table": 0, "values": [2], "title": "数据库大小（MB）"},
        ],
    )


def _availability_floor(a: dict[str, Any]) -> float:
    """Where the availability chart's axis starts: a whole percent below the lowest month
    and the target, so that 99.2 % and 99.9 % look different."""
    values = [m["percent"] for m in a["by_month"] if m["percent"] is not None]
    return float(max(0, int(min([*values, a["target"]])) - 1))


def _availability(d: dict[str, Any]) -> dict[str, Any]:
    a = d["availability"]
    rows = [[m["month"], m["probes"], m["up"], _r(m["percent"], 3)] for m in a["by_month"]]
    tables = [_table("每月可用率", ["月份", "探测次数", "正常次数", "可用率（%）"], rows)]
    if a["outages"]:
        tables.append(
            _table(
                "中断记录",
                ["开始", "恢复", "失败探测次数", "持续（分钟）"],
                [
                    [
                        o["start"],
                        o["end"] if o["recovered"] else "未恢复",
                        o["probes"],
                        o["minutes"],
                    ]
                    for o in a["outages"]
                ],
            )
        )
    return _section(
        "availability",
        empty=a["probes"] == 0,
        notes=[
            f"本期健康探测 {a['probes']} 次，正常 {a['up']} 次，可用率 "
            f"{'—' if a['percent'] is None else format(a['percent'], '.3f') + '%'}，"
            f"目标 {a['target']:g}%，{_met(a['met'])}；中断 {len(a['outages'])} 次。"
        ],
        charts=[
            charts.bar_chart(
                [m["month"] for m in a["by_month"]],
                [m["percent"] for m in a["by_month"]],
                title="每月可用率",
                unit="%",
                floor=_availability_floor(a),
                decimals=3,
                threshold=(f"目标 {a['target']:g}%", a["target"]),
            )
        ],
        tables=tables,
        xlsx_charts=[{"type": "column", "table": 0, "values": [3], "title": "每月可用率（%）"}],
    )


def _configuration(d: dict[str, Any]) -> dict[str, Any]:
    c = d["configuration"]
    tables = [
        _table(
            f"配置项（在用 {c['items_total']} 项，已停用 {c['retired']} 项）",
            ["类别", "在用数量"],
            [[x["label"], x["count"]] for x in c["items_by_kind"]],
        )
    ]
    tables.append(
        _table(
            "本期配置变更",
            ["时间", "配置项", "类别", "变更内容", "原值", "新值", "原因"],
            [
                [x["at"], x["item"], x["kind"], x["field"], x["old"], x["new"], x["reason"]]
                for x in c["changes"]
            ],
        )
    )
    tables.append(
        _table(
            "本期参数变更",
            ["时间", "参数", "原值", "新值", "原因", "修改人"],
            [
                [x["at"], x["label"], str(x["old"]), str(x["new"]), x["reason"], x["by"]]
                for x in c["parameter_changes"]
            ],
        )
    )
    return _section(
        "configuration",
        empty=not (c["items_total"] or c["retired"] or c["changes"] or c["parameter_changes"]),
        notes=[f"本期配置变更 {len(c['changes'])} 项，参数变更 {len(c['parameter_changes'])} 项。"],
        tables=tables,
    )


def _sla(d: dict[str, Any]) -> dict[str, Any]:
    return _section(
        "sla",
        empty=False,
        tables=[
            _table(
                "服务水平目标达成情况",
                ["指标", "目标", "本期实际", "评价"],
                [[r["name"], r["target"], r["measured"], _met(r["met"])] for r in d["sla"]],
            )
        ],
    )


def _inspections(d: dict[str, Any]) -> dict[str, Any]:
    i = d["inspections"]
    tables = [
        _table(
            "巡检完成情况",
            ["项目", "数值"],
            [
                ["应巡检天数", i["days"]],
                ["已巡检天数", i["done"]],
                ["完成率（%）", _r(i["completion_percent"])],
                *[[f"结论为“{s['status']}”的日常巡检", s["count"]] for s in i["by_status"]],
                ["系统软件周检", i["weekly"]],
                ["月度巡检汇总", i["monthly"]],
            ],
        )
    ]
    if i["missing"]:
        tables.append(_table("未巡检日期", ["日期"], [[day] for day in i["missing"]]))
    if i["problems"]:
        tables.append(
            _table(
                "发现问题的巡检",
                ["日期", "结论", "异常检查项"],
                [[p["date"], p["status"], "、".join(p["checks"]) or "—"] for p in i["problems"]],
            )
        )
    return _section(
        "inspections",
        empty=i["done"] == 0 and i["weekly"] == 0 and i["monthly"] == 0,
        notes=[
            f"本期应巡检 {i['days']} 天，已巡检 {i['done']} 天，缺 {len(i['missing'])} 天，"
            f"完成率 {_pct(i['completion_percent'])}。"
        ],
        charts=[
            charts.bar_chart(
                [s["status"] for s in i["by_status"]],
                [s["count"] for s in i["by_status"]],
                title="日常巡检结论",
                unit="次",
            )
        ],
        tables=tables,
    )


def _documents(d: dict[str, Any]) -> dict[str, Any]:
    docs = d["documents"]
    return _section(
        "documents",
        empty=not docs,
        tables=[
            _table(
                f"本期交付文档（共 {len(docs)} 份）",
                ["序号", "类别", "文档", "日期"],
                [[n, x["kind"], x["title"], x["date"]] for n, x in enumerate(docs, start=1)],
            )
        ],
    )


_BUILDERS = {
    "work": _work,
    "service": _service,
    "complaints": _complaints,
    "incidents": _incidents,
    "capacity": _capacity,
    "availability": _availability,
    "configuration": _configuration,
    "sla": _sla,
    "inspections": _inspections,
    "documents": _documents,
}


def sections(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's sections for its kind, numbered 一、二、…"""
    out = []
    for n, key in enumerate(KIND_SECTIONS[data["period"]["kind"]]):
        section = _BUILDERS[key](data)
        section["heading"] = f"{NUMERALS[n]}、{section['title']}"
        out.append(section)
    return out
