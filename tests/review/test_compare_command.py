"""manage.py compare_records on real files: the spec's summary, refusals, supersession, and the
first result once every kind is decided."""

from __future__ import annotations

import csv
import io
from contextlib import redirect_stdout
from pathlib import Path

import orjson
import pytest
from django.core.management import call_command

from jifen.applications import services as app_services
from jifen.review.kinds import KINDS
from jifen.review.models import (
    ComparisonRun,
    Decision,
    FirstResult,
    ItemState,
    RunState,
    VerificationItem,
)
from tests.factories import (
    FULL_DECLARATION_2026_TOTAL,
    employer_submitted,
    fill_declaration,
    id_number,
    linked_pair,
)

pytestmark = pytest.mark.django_db


def _csv(path: Path, header: list[str], rows: list[list[str]], *, bom: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8"))
    return path


def _run(*args: str) -> tuple[int, list[str]]:
    out = io.StringIO()
    code = 0
    with redirect_stdout(out):
        try:
            call_command("compare_records", *args, stdout=out)
        except SystemExit as exc:
            code = int(exc.code or 0)
    return code, [line for line in out.getvalue().splitlines() if line]


@pytest.fixture
def two_submitted():
    _, _, a = employer_submitted(2026)
    b_user, agent = linked_pair()
    b = fill_declaration(b_user, app_services.application_start(actor=b_user))
    b = app_services.application_submit(actor=b_user, application_id=b.pk, version=b.version)
    b = app_services.application_employer_submit(
        actor=agent, application_id=b.pk, version=b.version
    )
    return a, b


def test_housing_split_differently_matches_and_a_stranger_is_counted(tmp_path, two_submitted):
    a, b = two_submitted
    ida, idb = a.applicant.id_number, b.applicant.id_number
    stranger = id_number("19700101", "M")
    path = _csv(
        tmp_path / "housing.csv",
        ["district", "id_number", "kind", "from", "to"],  # columns in any order
        [
            ["海淀区", ida, "rented", "2008-07", "2011-12"],
            ["海淀区", ida, "rented", "2012-01", "2015-12"],
            ["通州区", ida, "owned", "2016-01", "2025-12"],
            ["海淀区", idb.lower(), "rented", "2008-07", "2015-12"],  # no owned home on record
            ["朝阳区", stranger, "rented", "2010-01", "2012-12"],
        ],
        bom=True,
    )
    code, lines = _run("--year", "2026", "--kind", "housing", str(path))
    assert code == 0
    assert orjson.loads(lines[-1]) == {
        "kind": "housing", "rows": 5, "persons": 3, "applications": 2,
        "matched": 1, "different": 1, "not_in_round": 1,
    }
    assert list(orjson.loads(lines[-1])) == [
        "kind", "rows", "persons", "applications", "matched", "different", "not_in_round"
    ]
    item_a = VerificationItem.objects.get(application=a, kind="housing")
    item_b = VerificationItem.objects.get(application=b, kind="housing")
    assert (item_a.state, item_b.state) == (ItemState.MATCHED, ItemState.DIFFERENT)
    assert item_b.latest_decision.value == [
        {"kind": "rented", "from": "2008-07", "to": "2015-12", "district": "海淀区"}
    ]
    assert item_b.latest_decision.source == "comparison"


def test_a_refused_file_names_every_bad_row_and_applies_nothing(tmp_path, two_submitted):
    a, _ = two_submitted
    path = _csv(
        tmp_path / "si.csv",
        ["id_number", "from", "to", "back_paid"],
        [
            [a.applicant.id_number, "2008-07", "2021-13", ""],
            [a.applicant.id_number, "2008-07", "2025-12", ""],
            ["110105197601152340", "2008-07", "2025-12", ""],
        ],
    )
    code, lines = _run("--year", "2026", "--kind", "social_insurance", str(path))
    assert code == 1
    assert lines[0].startswith("line 2, column to:") and "2021-13" in lines[0]
    assert any(line.startswith("line 4, column id_number:") for line in lines)
    assert Decision.objects.count() == 0
    assert ComparisonRun.objects.get().state == RunState.REFUSED


def test_importing_a_kind_again_supersedes_the_earlier_comparison(tmp_path, two_submitted):
    a, _ = two_submitted
    path = _csv(tmp_path / "p.csv", ["id_number"], [[a.applicant.id_number]])
    assert _run("--year", "2026", "--kind", "permits", str(path))[0] == 0
    empty = _csv(tmp_path / "p2.csv", ["id_number"], [])
    code, lines = _run("--year", "2026", "--kind", "permits", str(empty))
    assert code == 0 and orjson.loads(lines[-1])["different"] == 2
    item = VerificationItem.objects.get(application=a, kind="permits")
    history = list(Decision.objects.filter(item=item).order_by("id"))
    assert [d.value for d in history] == [True, False]
    assert history[1].supersedes_id == history[0].pk and item.latest_decision_id == history[1].pk


def test_every_kind_compared_gives_the_first_result(tmp_path, two_submitted):
    a, b = two_submitted
    ida, idb = a.applicant.id_number, b.applicant.id_number
    files = {
        "permits": (["id_number"], [[ida], [idb]]),
        "criminal_records": (["id_number"], []),
        "detentions": (["id_number", "date"], []),
        "social_insurance": (
            ["id_number", "from", "to", "back_paid"],
            [[i, "2008-07", "2025-12", "2010-03;2010-04"] for i in (ida, idb)],
        ),
        "employment": (
            ["id_number", "from", "to", "district"],
            [[i, "2008-07", "2025-12", "通州区"] for i in (ida, idb)],
        ),
        "housing": (
            ["id_number", "kind", "from", "to", "district"],
            [[i, "rented", "2008-07", "2015-12", "海淀区"] for i in (ida, idb)]
            + [[i, "owned", "2016-01", "2025-12", "通州区"] for i in (ida, idb)],
        ),
        "education": (
            ["id_number", "level", "degree", "full_time", "from", "to"],
            [[i, "bachelor", "bachelor", "是", "2004-09", "2008-06"] for i in (ida, idb)],
        ),
        "tax": (
            ["id_number", "year", "amount"],
            [[ida, "2023", "120000"], [ida, "2024", "80000"], [ida, "2025", "150000.50"],
             [idb, "2023", "1000"]],
        ),
        "tax_offences": (["id_number", "date"], []),
        "innovation": (["id_number", "code"], [[ida, "contest.municipal.third"]]),
        "honours": (["id_number", "code"], [[ida, "model_worker"]]),
    }
    assert list(files) == list(KINDS)
    for kind, (header, rows) in files.items():
        assert FirstResult.objects.count() == 0
        code, _ = _run("--year", "2026", "--kind", kind, str(_csv(tmp_path / f"{kind}.csv",
                                                                   header, rows)))
        assert code == 0
    result_a = FirstResult.objects.get(application=a)
    result_b = FirstResult.objects.get(application=b)
    assert float(result_a.total) == FULL_DECLARATION_2026_TOTAL
    # b's tax, innovation and honours are not on record: 4 + 4 + 20 points fewer.
    assert float(result_b.total) == FULL_DECLARATION_2026_TOTAL - 28
    assert result_b.profile["honours"] == [] and result_b.profile["tax"] == {"2023": 1000}
