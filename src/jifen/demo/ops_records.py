"""The demo's operations records of on-site service, training, the CMDB and system parameters:
a month of on-site visits (about 10, signed off and rated), the year's training plan (8
sessions, 5 held with material), the CMDB (this server and its software found by the system, a
second server, a network device, a service, a document, a few changes) and 3 parameter changes
with their reasons. People are synthetic (Faker zh_CN, seeded)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from faker import Faker

from jifen.demo.files import demo_pdf
from jifen.ops import cmdb, parameters, training, visits

PLACES = (
    "市人力社保局积分落户办公室",
    "东城区人力社保局服务窗口",
    "西城区人力社保局服务窗口",
    "朝阳区人力社保局服务窗口",
    "海淀区人力社保局服务窗口",
    "丰台区人力社保局服务窗口",
    "通州区人力社保局服务窗口",
)
PROBLEMS = (
    (
        "申请人社保缴纳月数与窗口核对结果不一致",
        "与社保部门比对原始缴费记录，确认系统数据正确，向窗口说明口径",
    ),
    ("单位经办人无法查看已退回的申报", "核对账户关联关系，恢复经办人与单位的关联后可正常查看"),
    ("住房核验结果在窗口页面显示为空", "清理浏览器缓存后正常显示，已记入已知问题清单"),
    ("导出的核验清单中文乱码", "指导使用 XLSX 格式导出并用 WPS 打开，显示正常"),
    ("窗口人员需核对申请人学历信息", "现场协助调取教育部门核验记录并逐项核对"),
    ("复查材料上传失败", "确认文件超过大小限制，协助压缩后重新上传成功"),
    (
        "公示名单中单位名称与营业执照不一致",
        "核对统一社会信用代码，确认为单位更名，指导更新单位信息",
    ),
)
SESSIONS = (
    ("积分落户系统总体功能培训", "市级和区级工作人员", "系统总体功能"),
    ("申报受理与单位审核操作培训", "区级工作人员", "单位审核"),
    ("部门核验与数据比对功能培训", "市级工作人员", "数据比对"),
    ("复查受理功能培训", "区级工作人员", "复查受理"),
    ("积分评定与公示功能培训", "市级工作人员", "积分评定与公示"),
    ("应急统计查询功能培训", "市级工作人员", "应急统计"),
    ("落户办理功能培训", "区级工作人员", "落户办理"),
    ("系统安全与个人信息保护培训", "市级和区级工作人员", ""),
)


def _at(day: date, hour: int, minute: int, now: datetime) -> datetime:
    moment = timezone.make_aware(datetime.combine(day, time(hour, minute)))
    return min(moment, now)


def load(*, operator: Any, now: datetime, say: Callable[[str], None]) -> None:
    rng = random.Random(20261)
    fake = Faker("zh_CN")
    fake.seed_instance(20261)
    today = timezone.localtime(now).date()

    # A month of on-site visits: every few days, the last one still awaiting the sign-off.
    days = sorted(today - timedelta(days=rng.randint(0, 29)) for _ in range(10))
    for i, day in enumerate(days):
        problem, solution = PROBLEMS[i % len(PROBLEMS)]
        visit = visits.visit_record(
            actor=operator,
            visited_on=day,
            place=PLACES[i % len(PLACES)],
            engineer=operator,
            problem=problem,
            solution=solution,
        )
        if i < len(days) - 1:
            visits.visit_sign_off(
                actor=operator,
                visit=visit,
                signed_off_by=fake.name(),
                satisfaction=rng.choice((4, 5, 5, 5, 3)),
                signed_off_at=_at(day, 16, rng.randint(0, 59), now),
            )
    say(f"  on-site service: {len(days)} visits this month")

    # The year's training plan: the first five held (with material), then two planned and one
    # cancelled.
    year = today.year
    start = date(year, 1, 1)
    elapsed = (today - start).days
    for i, (title, audience, function) in enumerate(SESSIONS):
        if i < 5:
            planned = start + timedelta(days=elapsed * (i + 1) // 6)
        else:
            planned = min(today + timedelta(days=12 * (i - 4)), date(year, 12, 31))
        session = training.training_plan(
            actor=operator,
            year=year,
            title=title,
            audience=audience,
            planned_on=planned,
            function=function,
        )
        if i < 5:
            training.training_upload_material(
                actor=operator,
                session=session,
                upload=SimpleUploadedFile(
                    f"{title}.pdf", demo_pdf(f"training material, session {i + 1}")
                ),
            )
            training.training_mark_held(
                actor=operator,
                session=session,
                held_on=planned,
                attendees=rng.randint(20, 60),
                trainer=fake.name(),
            )
        elif i == 6:
            training.training_cancel(
                actor=operator, session=session, reason="与年度申报受理期冲突，顺延至下一年度"
            )
    say(f"  training: {len(SESSIONS)} sessions planned for {year}, 5 held")

    # The CMDB: what the system finds itself, and what operators keep by hand.
    found = cmdb.discover()
    db = cmdb.config_item_add(
        actor=operator,
        kind="server",
        name="db-01",
        version="openEuler 22.03 LTS",
        host="db-01",
        note="数据库服务器（主）",
        reason="系统上线登记",
    )
    firewall = cmdb.config_item_add(
        actor=operator,
        kind="network",
        name="互联网区防火墙",
        version="V5.6",
        host="机房A-机柜03",
        reason="系统上线登记",
    )
    cmdb.config_item_add(
        actor=operator,
        kind="service",
        name="积分落户门户网站",
        version="",
        host=found["host"],
        note="对外服务：申请人与用人单位",
        reason="系统上线登记",
    )
    manual = cmdb.config_item_add(
        actor=operator,
        kind="document",
        name="系统运维手册",
        version="1.1",
        reason="交付文档登记",
    )
    cmdb.config_item_edit(
        actor=operator,
        item=firewall,
        kind="network",
        name="互联网区防火墙",
        version="V5.7",
        host="机房A-机柜03",
        reason="厂商安全公告，升级固件",
    )
    cmdb.config_item_edit(
        actor=operator,
        item=manual,
        kind="document",
        name="系统运维手册",
        version="1.2",
        host="",
        reason="补充备份与恢复演练章节",
    )
    cmdb.config_item_edit(
        actor=operator,
        item=db,
        kind="server",
        name="db-01",
        version="openEuler 22.03 LTS",
        host="db-01",
        note="数据库服务器（主），内存扩容至 128 GB",
        reason="内存扩容",
    )
    say(f"  CMDB: {found['items']} items found on {found['host']}, 4 kept by hand, 3 changes")

    # Parameters: three changes with their reasons.
    for key, value, reason in (
        ("training_material_max_mb", "80", "培训视频截图较多，课件体积增大"),
        ("visit_satisfaction_target", "4.2", "年度服务协议补充条款"),
        ("visit_satisfaction_target", "4.5", "甲方要求提高现场服务满意度目标"),
    ):
        parameters.set_parameter(actor=operator, key=key, value=value, reason=reason)
    say("  system parameters: 3 changes")
