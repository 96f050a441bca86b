"""manage.py import_applications: real JSON Lines files in tmp_path, on the test database.

A clean file becomes applicants and employer-submitted applications; a file with any bad line
is refused whole, every bad line named, nothing written.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection

from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.applications import declaration as decl
from jifen.applications.models import Application, Status
from jifen.applications.selectors import assess, profile_of
from jifen.applications.services import imports
from jifen.audit.models import AuditEvent
from jifen.core import crypto
from jifen.core.roles import Role
from jifen.rules import score_profile
from jifen.synth.generator import generate
from tests.factories import make_applicant, make_employer, make_round

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def rnd():
    return make_round(YEAR)


def profiles(n: int, *, seed: int = 1, year: int = YEAR) -> list[dict[str, Any]]:
    """``jifen synth``'s profiles, numbered apart from other seeds' (synth counts from 1)."""
    out = list(generate(n, year, seed))
    for i, p in enumerate(out, 1):
        p["application_no"] = f"S{seed}-{i:04d}"
    return out


def write(path: Path, lines: list[Any]) -> Path:
    """One line per item: a dict as JSON, a string as it is."""
    path.write_text(
        "".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n"
                for x in lines),
        encoding="utf-8",
    )
    return path


def run(path: Path, *args: str, year: int = YEAR) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_applications", str(path), "--year", str(year), *args,
                 stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path, *args: str, year: int = YEAR) -> list[str]:
    """The error lines of a refused file, after checking that nothing was written."""
    before = _counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_applications", str(path), "--year", str(year), *args,
                     stdout=io.StringIO(), stderr=err)
    assert info.value.returncode == 1
    assert _counts() == before
    return err.getvalue().splitlines()


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (User, ApplicantProfile, Application, Employer, AuditEvent)
    )


def _with_defaults(p: dict[str, Any], rule_set: str) -> dict[str, Any]:
    out = copy.deepcopy(p)
    out["rule_set"] = rule_set
    for key in ("social_insurance", "housing", "employment", "education", "innovation",
                "honours", "violations"):
        out.setdefault(key, [])
    return out


# --- success ---------------------------------------------------------------------------------


def test_a_clean_file_becomes_employer_submitted_applications(rnd, tmp_path) -> None:
    ps = profiles(25)
    path = write(tmp_path / "round.jsonl", ps)
    out, err = run(path)

    assert json.loads(out.splitlines()[-1]) == {"year": YEAR, "imported": 25}
    assert err == ""
    apps = {a.number: a for a in Application.objects.filter(round=rnd).select_related(
        "applicant__user", "employer", "round")}
    assert set(apps) == {p["application_no"] for p in ps}
    employer = Employer.objects.get(name=imports.IMPORT_EMPLOYER_NAME)
    for p in ps:
        app = apps[p["application_no"]]
        person, user = app.applicant, app.applicant.user
        assert app.status == Status.EMPLOYER_SUBMITTED
        assert app.submitted_at is not None and app.employer_submitted_at is not None
        assert app.saved_sections == list(decl.SECTION_KEYS)
        assert app.employer == employer
        # The applicant: identity as at registration, an account nobody can sign in to yet.
        assert person.id_number == p["person"]["id_number"]
        assert person.id_index == crypto.blind_index(p["person"]["id_number"])
        assert (person.name, person.sex, person.birth_date.isoformat()) == (
            p["person"]["name"], p["person"]["sex"], p["person"]["birth_date"])
        assert user.role == Role.APPLICANT and not user.has_usable_password()
        assert p["person"]["id_number"] not in user.username
        assert p["person"]["name"] not in user.username
        # The declaration is the profile, and scores as the profile does.
        assert profile_of(app) == _with_defaults(p, rnd.rule_set)
        assert assess(app).result["total"] == score_profile(p, rnd.rule_set)["total"]


def test_identity_numbers_are_stored_encrypted(rnd, tmp_path) -> None:
    ps = profiles(3)
    run(write(tmp_path / "a.jsonl", ps))
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM accounts_applicantprofile")
        stored = [row[0] for row in cur.fetchall()]
    assert len(stored) == 3
    for value in stored:
        assert value.startswith("sm4gcm1:")
        assert not any(p["person"]["id_number"] in value for p in ps)


def test_one_audit_event_with_the_count_and_the_files_hash(rnd, tmp_path) -> None:
    ps = profiles(4)
    path = write(tmp_path / "a.jsonl", ps)
    before = AuditEvent.objects.count()
    run(path)
    assert AuditEvent.objects.count() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "applications.import"
    assert event.actor is None and event.channel == "cli"
    assert (event.target_type, event.target_id) == ("rounds.round", str(rnd.pk))
    assert event.after["imported"] == 4
    assert event.after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    logged = json.dumps(event.after, ensure_ascii=False)
    for p in ps:
        assert p["person"]["id_number"] not in logged and p["person"]["name"] not in logged


def test_the_import_employer_is_made_once_per_round(tmp_path) -> None:
    make_round(2025)
    make_round(YEAR)
    run(write(tmp_path / "a.jsonl", profiles(2, seed=1)))
    run(write(tmp_path / "b.jsonl", profiles(3, seed=2)[2:]))
    run(write(tmp_path / "c.jsonl", profiles(2, seed=3, year=2025)), year=2025)
    employers = Employer.objects.filter(name=imports.IMPORT_EMPLOYER_NAME)
    assert employers.count() == 2
    credit, code = imports.import_employer(YEAR)
    this_year = employers.get(credit_code=credit)
    assert this_year.code == code and not code.startswith("DW")
    assert this_year.applications.count() == 3
    # A well-formed credit code: the registration form would accept it, were it not taken.
    from jifen.accounts.codes import credit_code_problem
    assert credit_code_problem(credit) is None


def test_employer_option_names_an_existing_employer(rnd, tmp_path) -> None:
    agent = make_employer()
    employer = agent.employer
    run(write(tmp_path / "a.jsonl", profiles(2, seed=1)), "--employer", employer.code)
    run(write(tmp_path / "b.jsonl", profiles(1, seed=9)), "--employer", employer.credit_code)
    assert employer.applications.count() == 3
    assert not Employer.objects.filter(name=imports.IMPORT_EMPLOYER_NAME).exists()


def test_an_unknown_employer_refuses_the_import(rnd, tmp_path) -> None:
    path = write(tmp_path / "a.jsonl", profiles(1))
    before = _counts()
    message = "没有单位注册码或统一社会信用代码为 DWNOSUCH1 的用人单位"
    with pytest.raises(CommandError, match=message):
        run(path, "--employer", "DWNOSUCH1")
    assert _counts() == before


def test_a_line_without_application_no_gets_the_webs_number(rnd, tmp_path) -> None:
    ps = profiles(2)
    del ps[1]["application_no"]
    run(write(tmp_path / "a.jsonl", ps))
    app = Application.objects.get(applicant__id_index=crypto.blind_index(
        ps[1]["person"]["id_number"]))
    assert app.number == f"{YEAR % 100:02d}{app.pk:06d}"


def test_blank_lines_and_a_byte_order_mark_are_tolerated(rnd, tmp_path) -> None:
    ps = profiles(2)
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ps[0]).encode() + b"\n\n  \n"
                     + json.dumps(ps[1]).encode())  # and no newline at the end
    out, _ = run(path)
    assert json.loads(out.splitlines()[-1]) == {"year": YEAR, "imported": 2}


def test_a_registered_applicant_keeps_their_account(rnd, tmp_path) -> None:
    user = make_applicant(name="王素芳")
    p = profiles(1)[0]
    p["person"].update(id_number=user.applicant.id_number, name="王素芳",
                       sex=user.applicant.sex, birth_date=str(user.applicant.birth_date))
    users = User.objects.count()
    run(write(tmp_path / "a.jsonl", [p]))
    assert User.objects.count() == users
    assert Application.objects.get(round=rnd).applicant == user.applicant


# --- refusals --------------------------------------------------------------------------------


def test_every_bad_line_is_named_in_line_order_and_nothing_is_written(rnd, tmp_path) -> None:
    ps = profiles(12)
    bad_check = copy.deepcopy(ps[3])
    number = bad_check["person"]["id_number"]
    wrong = "0" if number[17] != "0" else "1"
    bad_check["person"]["id_number"] = number[:17] + wrong
    bad_district = copy.deepcopy(ps[4])
    bad_district["housing"] = [{"kind": "owned", "from": "2015-01", "to": "2020-12",
                                "district": "通县"}]
    other_year = profiles(1, seed=5, year=2025)[0]
    no_name = copy.deepcopy(ps[7])
    del no_name["person"]["name"]
    twice = copy.deepcopy(ps[0])
    twice["application_no"] = "X-1"
    same_no = copy.deepcopy(ps[8])
    same_no["application_no"] = ps[1]["application_no"]
    lines = [
        ps[0], ps[1], "{not json", bad_check, bad_district, "[1, 2]", other_year, no_name,
        twice, same_no, {"format": "jifen.profile/1"},
    ]
    errors = refused(write(tmp_path / "bad.jsonl", lines))

    assert errors[0].startswith("line 3: not valid JSON: ")
    assert errors[1:] == [
        f"line 4: person.id_number: check digit is {wrong}, expected {number[17]}",
        "line 5: housing[0].district: unknown district '通县'",
        "line 6: profile: expected a JSON object, got a list",
        "line 7: application_year: 2025 is not the round's year 2026",
        "line 8: person.name: is required (the applicant's name)",
        "line 9: person.id_number: the same person as on line 1",
        f"line 10: application_no: '{ps[1]['application_no']}' is also on line 2",
        "line 11: application_year: is required",
        "line 11: person: is required",
    ]


def test_people_and_numbers_already_in_the_round_are_refused(rnd, tmp_path) -> None:
    ps = profiles(4)
    run(write(tmp_path / "first.jsonl", ps[:2]))
    again = copy.deepcopy(ps[0])
    again["application_no"] = "NEW-1"
    reused_no = copy.deepcopy(ps[2])
    reused_no["application_no"] = ps[1]["application_no"]
    errors = refused(write(tmp_path / "second.jsonl", [ps[3], again, reused_no]))
    assert errors == [
        "line 2: person.id_number: already has an application in the 2026 round",
        f"line 3: application_no: '{ps[1]['application_no']}' is already used in the 2026 round",
    ]


def test_a_registered_applicant_under_another_name_is_refused(rnd, tmp_path) -> None:
    user = make_applicant(name="王素芳")
    p = profiles(1)[0]
    p["person"].update(id_number=user.applicant.id_number, name="李秀英",
                       sex=user.applicant.sex, birth_date=str(user.applicant.birth_date))
    assert refused(write(tmp_path / "a.jsonl", [p])) == [
        "line 1: person.name: differs from the name registered with this identity number"
    ]


def test_duplicates_are_found_across_the_databases_chunks(rnd, tmp_path, monkeypatch) -> None:
    # Chunks of 3 lines: the duplicate checks must work across the chunk boundaries.
    monkeypatch.setattr(imports, "CHECK_CHUNK", 3)
    ps = profiles(8)
    run(write(tmp_path / "first.jsonl", [ps[6]]))
    lines = [*ps[:6], ps[6], ps[0]]
    lines[5] = copy.deepcopy(lines[5]) | {"application_no": ps[1]["application_no"]}
    assert refused(write(tmp_path / "b.jsonl", lines)) == [
        f"line 6: application_no: '{ps[1]['application_no']}' is also on line 2",
        "line 7: person.id_number: already has an application in the 2026 round",
        f"line 7: application_no: '{ps[6]['application_no']}' is already used in the 2026 round",
        f"line 8: application_no: '{ps[0]['application_no']}' is also on line 1",
        "line 8: person.id_number: the same person as on line 1",
    ]


def test_a_round_that_does_not_exist(tmp_path) -> None:
    path = write(tmp_path / "a.jsonl", profiles(1))
    with pytest.raises(CommandError, match="没有 2026 年度的积分落户年度") as info:
        run(path)
    assert info.value.returncode == 1


@pytest.mark.parametrize("change", ["append a line", "spoil a line"])
def test_a_file_changed_while_it_is_read_is_not_imported(
    rnd, tmp_path, monkeypatch, change: str
) -> None:
    ps = profiles(3)
    path = write(tmp_path / "a.jsonl", ps[:2])
    checked = imports.check_file

    def check_then_change(rnd, p):  # another program writes to the file after the check
        result = checked(rnd, p)
        if change == "append a line":
            write(p, [*ps[:2], ps[2]])
        else:
            write(p, [ps[0], "{not json"])
        return result

    monkeypatch.setattr(imports, "check_file", check_then_change)
    before = _counts()
    with pytest.raises(CommandError, match="导入文件在读取过程中被修改") as info:
        run(path)
    assert info.value.returncode == 1
    assert _counts() == before


def test_big_batches_are_written_in_several_inserts(rnd, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(imports, "BATCH_SIZE", 7)
    ps = profiles(30)
    out, _ = run(write(tmp_path / "a.jsonl", ps))
    assert json.loads(out.splitlines()[-1])["imported"] == 30
    numbers = set(Application.objects.values_list("number", flat=True))
    assert numbers == {p["application_no"] for p in ps}
    assert ApplicantProfile.objects.count() == User.objects.count() == 30


# --- as a program ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_exit_status_and_output(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    make_round(YEAR)
    ps = profiles(2)
    execute_from_command_line(["manage.py", "import_applications", "--year", str(YEAR),
                               str(write(tmp_path / "a.jsonl", ps))])
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == {"year": YEAR, "imported": 2}

    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "import_applications", "--year", str(YEAR),
                                   str(write(tmp_path / "b.jsonl", [ps[0]]))])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "line 1: person.id_number: already has an application in the 2026 round"


def _schema_of(table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass ORDER BY conname", [table])
        constraints = cur.fetchall()
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "ORDER BY indexname", [table])
        return constraints, cur.fetchall()


def test_a_large_import_opens_items_as_a_bulk_load_and_the_schema_is_as_before(
    rnd, tmp_path, monkeypatch
) -> None:
    # Above review.services.BULK_ITEMS applications, PostgreSQL drops the items' secondary
    # indexes and foreign keys and builds them after the rows (core.bulkload), in the import's
    # transaction, where the new applications' own foreign-key checks are still pending.
    from jifen.review import services
    from jifen.review.models import VerificationItem

    if connection.vendor != "postgresql":
        pytest.skip("the bulk load is PostgreSQL's")
    table = VerificationItem._meta.db_table
    before = _schema_of(table)
    monkeypatch.setattr(services, "BULK_ITEMS", 10)
    ps = profiles(30)
    out, _ = run(write(tmp_path / "round.jsonl", ps))
    assert json.loads(out.splitlines()[-1])["imported"] == 30
    assert _schema_of(table) == before
    assert VerificationItem.objects.filter(round=rnd).count() == 30 * 11
    # Idempotent: opening them again makes none.
    ids = list(Application.objects.filter(round=rnd).values_list("id", flat=True))
    assert services.open_items(ids) == 0
    assert VerificationItem.objects.filter(round=rnd).count() == 30 * 11
