"""Bulk import of a round's applications from JSON Lines (``manage.py import_applications``).

Each line is a ``jifen.profile/1`` of the round's year; each becomes an applicant (an account
without a usable password, the identity number encrypted and blind-indexed as at registration)
and an application its employer has submitted, awaiting verification, with the profile as its
declaration (``declaration.from_profile``) and ``application_no`` as its number.

All or nothing: a first pass reads the whole file and names every bad line; only a clean file
is written, by a second pass, in one transaction. Built for a million lines: the file is
streamed twice (memory holds only what finds duplicates), rows are written with bulk inserts
in batches, duplicates against the round are found with one query per chunk of lines, and
there is one audit event for the whole import.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from jifen.accounts.codes import credit_code_check_char
from jifen.accounts.models import ApplicantProfile, Employer, User
from jifen.audit.services import record_event
from jifen.core import crypto
from jifen.core.errors import Conflict, FieldError, InvalidInput, NotFound
from jifen.core.roles import Role
from jifen.rounds.models import Round
from jifen.rounds.phases import Phase, require_open
from jifen.rules import ProfileError, validate_profile
from jifen.rules.identity import birth_date_of, sex_of
from jifen.rules.profile_fast import read_profile_json
from jifen.rules.ruleset import load_rule_set
from jifen.rules.schema import Profile

from .. import declaration as decl
from ..events import passed_to_departments
from ..models import Application, Status

IMPORT_ACTION = "applications.import"
# The employer of imported applications when the command names none (profiles carry none).
IMPORT_EMPLOYER_NAME = "批量导入（未注明单位）"
IMPORT_EMPLOYER_DISTRICT = "未注明"
# Rows per bulk insert; lines per duplicate query (fewer where the database says it takes
# fewer parameters: Django's SQLite backend says 999).
BATCH_SIZE = 2000
CHECK_CHUNK = 5000

NAME_MAX = ApplicantProfile._meta.get_field("name").max_length
NUMBER_MAX = Application._meta.get_field("number").max_length


class ImportRefused(InvalidInput):
    """The file is refused; ``lines`` names every problem, in line order, one per entry:
    ``line 4001: person.id_number: check digit is 3, expected 7``."""

    def __init__(self, lines: list[str]) -> None:
        bad = len({text.split(":", 1)[0] for text in lines})
        super().__init__(
            f"导入文件有 {bad} 行有误，未导入任何申报",
            errors=[FieldError(*text.split(": ", 1)) for text in lines],
        )
        self.lines = lines


@dataclass(frozen=True)
class ImportResult:
    year: int
    imported: int
    sha256: str
    employer: Employer
    application_ids: list[int]


def import_employer(year: int) -> tuple[str, str]:
    """The (credit code, registration code) of the employer of ``year``'s imports.

    Well-formed, and unable to collide: the credit code's division code 000000 is no real
    administrative division, and registered employers' codes all start with ``DW``."""
    first17 = f"Y1000000PLDR{year:04d}0"
    return first17 + credit_code_check_char(first17), f"PLDR{year:04d}"


def _employer_for(year: int, employer_code: str | None) -> Employer:
    if employer_code:
        code = employer_code.strip().upper()
        employer = Employer.objects.filter(code=code).first() or Employer.objects.filter(
            credit_code=code
        ).first()
        if employer is None:
            raise NotFound(
                f"没有单位注册码或统一社会信用代码为 {employer_code} 的用人单位", field="employer"
            )
        return employer
    credit_code, code = import_employer(year)
    employer, _ = Employer.objects.get_or_create(
        credit_code=credit_code,
        defaults={"name": IMPORT_EMPLOYER_NAME, "code": code, "district": IMPORT_EMPLOYER_DISTRICT},
    )
    return employer


def _lines(path: Path, digest: Any) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of every line that is not blank; feeds ``digest`` every byte."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            digest.update(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark (editors on Windows write one)
            if raw and not raw.isspace():
                yield number, raw


@dataclass(slots=True)
class _Line:
    number: int
    id_index: str
    application_no: str
    name: str


class _Check:
    """The first pass: every problem of every line, and the applicants already registered."""

    def __init__(self, rnd: Round) -> None:
        self.round = rnd
        self.rule_set = rnd.rule_set
        self.problems: list[tuple[int, str]] = []
        self.person_line: dict[str, int] = {}  # id_number -> the first line naming the person
        self.number_line: dict[str, int] = {}  # application_no -> its first line
        self.pending: list[_Line] = []
        self.chunk = min(CHECK_CHUNK, connection.features.max_query_params or CHECK_CHUNK)
        # id_index -> ApplicantProfile id, for people registered before (another round, or
        # an account without an application in this round): their application joins them.
        self.registered: dict[str, int] = {}

    def add(self, number: int, text: str) -> None:
        self.problems.append((number, f"line {number}: {text}"))

    def line(self, number: int, raw: bytes) -> None:
        profile = read_profile_json(raw, self.rule_set)
        if profile is None:  # not plainly valid: the full validator says why (or accepts)
            try:
                profile = validate_profile(orjson.loads(raw), self.rule_set)
            except orjson.JSONDecodeError as exc:
                self.add(number, f"not valid JSON: {exc}")
                return
            except ProfileError as exc:
                for problem in exc.problems:
                    self.add(number, problem.text)
                return
        self._person(number, profile)

    def _person(self, number: int, p: Profile) -> None:
        year = self.round.year
        if p.year != year:
            self.add(number, f"application_year: {p.year} is not the round's year {year}")
        name = (p.name or "").strip()
        if not name:
            self.add(number, "person.name: is required (the applicant's name)")
        elif len(name) > NAME_MAX:
            self.add(number, f"person.name: longer than {NAME_MAX} characters")
        app_no = p.application_no or ""
        if len(app_no) > NUMBER_MAX:
            self.add(number, f"application_no: longer than {NUMBER_MAX} characters")
        elif app_no:
            first = self.number_line.setdefault(app_no, number)
            if first != number:
                self.add(number, f"application_no: {app_no!r} is also on line {first}")
        first = self.person_line.setdefault(p.id_number, number)
        if first != number:
            self.add(number, f"person.id_number: the same person as on line {first}")
            return
        self.pending.append(_Line(number, crypto.blind_index(p.id_number), app_no, name))
        if len(self.pending) >= self.chunk:
            self.flush()

    def flush(self) -> None:
        """Check the pending lines against the database: one query for the people, one for
        the numbers (a third only when some people are registered already)."""
        chunk, self.pending = self.pending, []
        if not chunk:
            return
        rnd, year = self.round, self.round.year
        known = {
            id_index: (pk, name)
            for id_index, pk, name in _rows_in(
                ApplicantProfile.objects.all(), ("id_index", "id", "name"), "id_index",
                [c.id_index for c in chunk],
            )
        }
        in_round: set[int] = set()
        if known:
            in_round = {
                pk for (pk,) in _rows_in(
                    Application.objects.filter(round=rnd), ("applicant_id",), "applicant_id",
                    [pk for pk, _ in known.values()],
                )
            }
        numbers = [c.application_no for c in chunk if c.application_no]
        used = {
            number for (number,) in _rows_in(
                Application.objects.filter(round=rnd), ("number",), "number", numbers
            )
        } if numbers else set()
        for c in chunk:
            profile_id, name = known.get(c.id_index, (None, ""))
            if profile_id in in_round:
                self.add(c.number, f"person.id_number: already has an application in the "
                                   f"{year} round")
            elif profile_id is not None and name != c.name:
                # The declaration's person is the applicant's: one name, or the import would
                # silently rename them (or score them under another name).
                self.add(c.number, "person.name: differs from the name registered with this "
                                   "identity number")
            elif profile_id is not None:
                self.registered[c.id_index] = profile_id
            if c.application_no in used:
                self.add(c.number, f"application_no: {c.application_no!r} is already used in "
                                   f"the {year} round")


def _rows_in(
    qs: models.QuerySet, fields: Sequence[str], field: str, values: list[Any]
) -> list[tuple[Any, ...]]:
    """``qs.filter(<field>__in=values).values_list(*fields)``; on PostgreSQL with the values
    as one array parameter (``= ANY(%s)``): a query with 5,000 placeholders is longer than
    psycopg caches, and splitting its text cost more than the query itself."""
    if connection.vendor != "postgresql":
        return list(qs.filter(**{f"{field}__in": values}).values_list(*fields))
    column = qs.model._meta.get_field(field).column
    sql, params = qs.order_by().values_list(*fields).query.sql_with_params()
    glue = " AND " if " WHERE " in sql else " WHERE "
    with connection.cursor() as cur:
        cur.execute(f"{sql}{glue}{connection.ops.quote_name(column)} = ANY(%s)", [*params, values])
        return cur.fetchall()


def check_file(rnd: Round, path: Path) -> tuple[_Check, str]:
    """The first pass over ``path`` (the checks and the file's SHA-256); raises ImportRefused."""
    digest = hashlib.sha256()
    check = _Check(rnd)
    for number, raw in _lines(path, digest):
        check.line(number, raw)
    check.flush()
    if check.problems:
        check.problems.sort(key=lambda item: item[0])  # stable: a line's own order is kept
        raise ImportRefused([text for _, text in check.problems])
    return check, digest.hexdigest()


def _unusable_password() -> str:
    # What make_password(None) stores, without its 40 secrets.choice() calls per row.
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _new_username(year: int) -> str:
    """A login name that says nothing about the person (the owner may choose their own later)."""
    return f"imp{year}-{secrets.token_hex(8)}"


class _Table:
    """Rows of one model written without model instances (a million of them cost minutes
    in the ORM): ids drawn first (PostgreSQL: from the table's sequence; SQLite: above the
    highest, under the transaction's write lock), then COPY (PostgreSQL) or one executemany.

    Each row gives the values of ``given`` (the id first), already as the database stores
    them; every other column gets its field's default, or ``now`` for auto_now fields."""

    def __init__(self, model: type[models.Model], given: Sequence[str], now: datetime) -> None:
        fields = model._meta.concrete_fields
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        by_name = {f.name: i for i, f in enumerate(fields)}
        self.positions = [by_name[name] for name in ("id", *given)]
        self.template: list[Any] = []
        for f in fields:
            auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            default = now if auto else (None if f.primary_key else f.get_default())
            self.template.append(f.get_db_prep_save(default, connection))

    def new_ids(self, count: int) -> list[int]:
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [connection.ops.quote_name(self.table), count],
                )
                return [row[0] for row in cur.fetchall()]
            cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(self.table)}")
            top = cur.fetchone()[0]
            if connection.vendor == "sqlite":  # AUTOINCREMENT never reuses a deleted row's id
                cur.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
                row = cur.fetchone()
                top = max(top, row[0] if row else 0)
        return list(range(top + 1, top + 1 + count))

    def insert(self, values: Sequence[Sequence[Any]]) -> None:
        rows = []
        positions, template = self.positions, self.template
        for given in values:
            row = template.copy()
            for i, value in zip(positions, given, strict=True):
                row[i] = value
            rows.append(row)
        quote = connection.ops.quote_name
        columns = ", ".join(quote(c) for c in self.columns)
        with connection.cursor() as cur:
            if connection.vendor == "postgresql":
                with cur.cursor.copy(f"COPY {quote(self.table)} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                cur.executemany(
                    f"INSERT INTO {quote(self.table)} ({columns}) VALUES ({marks})", rows
                )


class _Writer:
    """The second pass: rows in batches of BATCH_SIZE, one insert per table and batch."""

    def __init__(
        self, rnd: Round, employer: Employer, registered: dict[str, int], taken: set[str]
    ) -> None:
        self.round = rnd
        self.rule_set = load_rule_set(rnd.rule_set)
        self.registered = registered
        self.taken = taken  # application numbers of the file
        now = timezone.now()
        self.users = _Table(User, ("username", "password", "role", "full_name"), now)
        self.applicants = _Table(
            ApplicantProfile, ("user", "id_number", "id_index", "name", "sex", "birth_date"), now
        )
        self.applications = _Table(
            Application,
            ("round", "applicant", "employer", "number", "status", "data", "saved_sections",
             "submitted_at", "employer_submitted_at"),
            now,
        )
        field = Application._meta.get_field("submitted_at")
        self.fixed = (
            rnd.pk,
            employer.pk,
            Status.EMPLOYER_SUBMITTED.value,
            _json(list(decl.SECTION_KEYS)),
            field.get_db_prep_save(now, connection),
        )
        self.batch: list[dict[str, Any]] = []
        self.ids: list[int] = []

    def add(self, profile: dict[str, Any]) -> None:
        self.batch.append(profile)
        if len(self.batch) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if not batch:
            return
        year = self.round.year
        people = []
        for profile in batch:
            person = profile["person"]
            id_number = person["id_number"].upper()
            people.append((id_number, crypto.blind_index(id_number), person["name"].strip()))
        applicant_ids = [self.registered.get(id_index) for _, id_index, _ in people]
        new = [i for i, pk in enumerate(applicant_ids) if pk is None]
        if new:
            user_ids = self.users.new_ids(len(new))
            profile_ids = self.applicants.new_ids(len(new))
            self.users.insert([
                (uid, _new_username(year), _unusable_password(), Role.APPLICANT.value,
                 people[i][2])
                for uid, i in zip(user_ids, new, strict=True)
            ])
            self.applicants.insert([
                (pid, uid, crypto.encrypt(people[i][0]), people[i][1], people[i][2],
                 sex_of(people[i][0]), birth_date_of(people[i][0]))
                for pid, uid, i in zip(profile_ids, user_ids, new, strict=True)
            ])
            for pid, i in zip(profile_ids, new, strict=True):
                applicant_ids[i] = pid
        app_ids = self.applications.new_ids(len(batch))
        numbers = self._numbers(batch, app_ids)
        round_id, employer_id, status, sections, now = self.fixed
        rule_set = self.rule_set
        self.applications.insert([
            (aid, round_id, applicant_id, employer_id, number, status,
             _json(decl.from_profile(profile, year=year, rule_set=rule_set)), sections, now, now)
            for aid, applicant_id, number, profile in zip(
                app_ids, applicant_ids, numbers, batch, strict=True
            )
        ])
        self.ids.extend(app_ids)

    def _numbers(self, batch: list[dict[str, Any]], app_ids: list[int]) -> list[str]:
        """The lines' application_no; for a line without one, the web's number (year and
        id), made unique against the file's and the round's numbers."""
        numbers = [profile.get("application_no") or "" for profile in batch]
        missing = [i for i, number in enumerate(numbers) if not number]
        if not missing:
            return numbers
        yy = self.round.year % 100
        wanted = {i: f"{yy:02d}{app_ids[i]:06d}" for i in missing}
        taken = self.taken | {
            number for (number,) in _rows_in(
                Application.objects.filter(round=self.round), ("number",), "number",
                list(wanted.values()),
            )
        }
        for i, number in wanted.items():
            candidate, n = number, 0
            while candidate in taken:
                n += 1
                candidate = f"{number}-{n}"
            taken.add(candidate)
            numbers[i] = candidate
        return numbers


def _json(value: Any) -> str:
    """A JSON column's value as stored text (orjson: several times faster than json)."""
    return orjson.dumps(value).decode()


def _after_import(application_ids: Sequence[int]) -> None:
    """Pass the imported applications on to the departments, in the import's transaction
    (jifen.review opens their verification items)."""
    passed_to_departments.send(sender=Application, application_ids=list(application_ids))


def import_applications(
    *, actor: User | None, year: int, path: Path | str, employer_code: str | None = None
) -> ImportResult:
    """Import the applications of ``path`` (JSON Lines) into the round of ``year``.

    Raises NotFound (no such round, no such employer), ImportRefused (every bad line named;
    nothing written), Conflict (the file changed while it was read). ``employer_code``: the
    registration or credit code of the employer the applications belong to; by default the
    round's import employer (``import_employer``), created when first needed.
    """
    path = Path(path)
    rnd = Round.objects.filter(year=year).first()
    if rnd is None:
        raise NotFound(f"没有 {year} 年度的积分落户年度，请先创建（manage.py round_create）",
                       field="year")
    # The bureau's bulk intake hands applications straight to the departments (they arrive
    # employer-submitted, awaiting verification): accepted while the round is in verification,
    # so that every imported application can still be verified before scoring.
    require_open(rnd, Phase.VERIFICATION)
    check, sha256 = check_file(rnd, path)
    changed = Conflict("导入文件在读取过程中被修改，未导入任何申报；请重新导入")
    try:
        with transaction.atomic():
            employer = _employer_for(year, employer_code)
            writer = _Writer(rnd, employer, check.registered, set(check.number_line))
            digest = hashlib.sha256()
            try:
                for _, raw in _lines(path, digest):
                    writer.add(orjson.loads(raw))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                # A line that passed the checks cannot fail here unless the file changed.
                if _sha256(path) != sha256:
                    raise changed from exc
                raise
            writer.flush()
            if digest.hexdigest() != sha256:
                raise changed
            _record(actor, rnd, writer, sha256, employer)
    except IntegrityError as exc:
        # One of the file's people registered, or was given an application, meanwhile.
        raise Conflict("导入期间有申请人在他处注册或申报，未导入任何申报；请重新导入") from exc
    _analyze()
    return ImportResult(year, len(writer.ids), sha256, employer, writer.ids)


def _analyze() -> None:
    """Fresh statistics after a bulk load: without them PostgreSQL plans the next queries over
    the new rows (the data comparison's joins) as if the tables were empty (twice as slow)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # every table: the verification items came with them


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for _ in _lines(path, digest):
        pass
    return digest.hexdigest()


def _record(
    actor: User | None, rnd: Round, writer: _Writer, sha256: str, employer: Employer
) -> None:
    """The import's one audit event (no personal data: the count, the file's hash, the
    employer's code), then the verification items of the new applications."""
    record_event(
        actor=actor,
        action=IMPORT_ACTION,
        target=rnd,
        after={
            "year": rnd.year,
            "imported": len(writer.ids),
            "sha256": sha256,
            "employer": employer.code,
        },
    )
    _after_import(writer.ids)
