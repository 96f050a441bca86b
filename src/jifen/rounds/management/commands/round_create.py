"""manage.py round_create --year Y [--quota Q] [--rule-set NAME] [--opens D] [--closes D]."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from jifen.audit.context import audit_context
from jifen.core.errors import InvalidInput
from jifen.rounds.phases import ORDER, Phase, field_names
from jifen.rounds.services import round_create

# Without --opens/--closes the declaration opens today and stays open this many days.
DEFAULT_WINDOW_DAYS = 30
# The service's field names as the command's options (its errors name the option).
_OPTIONS = {
    "year": "--year",
    "quota": "--quota",
    "rule_set": "--rule-set",
    "declaration_opens": "--opens",
    "declaration_closes": "--closes",
}
# The other phases' windows: --scoring-opens D, --scoring-closes D … (default: the schedule).
_WINDOW_OPTIONS = {
    f: "--" + f.replace("_", "-") for p in ORDER if p != Phase.DECLARATION for f in field_names(p)
}
_OPTIONS.update(_WINDOW_OPTIONS)


def _moment(text: str, option: str, *, end_of_day: bool) -> datetime:
    """An ISO date (the start of that day, or the end of it for --closes) or date-time, in
    the server's time zone (Asia/Shanghai) unless it names its own offset."""
    try:
        if "T" not in text and " " not in text.strip():
            day = date.fromisoformat(text.strip())
            moment = datetime.combine(day + timedelta(days=int(end_of_day)), time())
        else:
            moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"{option}: 日期格式不正确，应为 YYYY-MM-DD（如 2026-05-01）或 YYYY-MM-DDTHH:MM，"
            f"填写的是“{text}”",
            returncode=1,
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


class Command(BaseCommand):
    help = (
        "Create the round (积分落户年度) of --year, audited as round.create by the system. "
        "--quota: the number of settlements (落户指标数), by default the rule set's; --rule-set: "
        "by default the one in force for the year (beijing-2016 before 2020, beijing-2020 from "
        "2020). The declaration window: --opens and --closes are ISO dates (YYYY-MM-DD: "
        "--opens from the start of that day, --closes to the end of that day) or date-times "
        "(YYYY-MM-DDTHH:MM), Beijing time unless an offset is given; by default it opens at "
        f"the start of today and closes {DEFAULT_WINDOW_DAYS} days later. The last line of "
        'the output is one JSON object: {"year", "rule_set", "quota", "id"}. Exit status 1, '
        "with each problem named by its option (in Chinese), when the year already has a round "
        "or an input is wrong. The other phases' windows (--registration-opens, "
        "--registration-closes, --employer-review-opens … --settlement-closes, dates as "
        "above) default to the schedule relative to the declaration window."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="the application year")
        parser.add_argument(
            "--quota", type=int, default=None, help="落户指标数 (default: the rule set's)"
        )
        parser.add_argument(
            "--rule-set",
            dest="rule_set",
            default=None,
            help="the rule set's name, e.g. beijing-2020 (default: the year's)",
        )
        parser.add_argument("--opens", default=None, help="declaration opens (ISO date)")
        parser.add_argument("--closes", default=None, help="declaration closes (ISO date)")
        for field, option in _WINDOW_OPTIONS.items():
            parser.add_argument(option, dest=field, default=None, help=f"{field} (ISO date)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = timezone.make_aware(datetime.combine(timezone.localdate(), time()))
        opens = (
            _moment(options["opens"], "--opens", end_of_day=False) if options["opens"] else today
        )
        closes = (
            _moment(options["closes"], "--closes", end_of_day=True)
            if options["closes"]
            else opens + timedelta(days=DEFAULT_WINDOW_DAYS)
        )
        windows = {
            field: _moment(options[field], option, end_of_day=field.endswith("_closes"))
            for field, option in _WINDOW_OPTIONS.items()
            if options.get(field)
        }
        try:
            with audit_context(channel="cli"):
                rnd = round_create(
                    actor=None,
                    year=options["year"],
                    quota=options["quota"],
                    rule_set=options["rule_set"],
                    opens=opens,
                    closes=closes,
                    windows=windows,
                )
        except InvalidInput as exc:
            for err in exc.errors:
                self.stderr.write(f"{_OPTIONS.get(err.field, err.field)}: {err.message}")
            raise CommandError(f"未创建年度：{exc.message}", returncode=1) from None
        self.stdout.write(
            f"已创建 {rnd.year} 年度积分落户（积分规则 {rnd.rule_set}，落户指标 {rnd.quota} 个，"
            f"申报时间 {timezone.localtime(rnd.declaration_opens):%Y-%m-%d %H:%M} 至 "
            f"{timezone.localtime(rnd.declaration_closes):%Y-%m-%d %H:%M}）"
        )
        self.stdout.write(
            json.dumps(
                {"year": rnd.year, "rule_set": rnd.rule_set, "quota": rnd.quota, "id": rnd.pk},
                ensure_ascii=False,
            )
        )
