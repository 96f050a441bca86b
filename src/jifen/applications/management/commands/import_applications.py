"""manage.py import_applications --year Y [--employer CODE] FILE.jsonl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jifen.applications.services.imports import (
    IMPORT_EMPLOYER_NAME,
    ImportRefused,
    import_applications,
)
from jifen.audit.context import audit_context
from jifen.core.errors import Conflict, NotFound


class Command(BaseCommand):
    help = (
        "Import a round's applications from FILE (JSON Lines: one jifen.profile/1 of --year a "
        "line). Each line becomes an applicant (an account without a usable password, the "
        "identity number stored encrypted with its blind index) and an application its "
        "employer has submitted, awaiting verification, numbered with the line's "
        "application_no (the web's scheme, year and id, for a line without one), its "
        "declaration the profile. Profiles name no employer: the applications belong to "
        f"--employer (an existing employer's 单位注册码 or 统一社会信用代码), by default to the "
        f"round's own import employer “{IMPORT_EMPLOYER_NAME}”, created when first needed. "
        "A person already registered (another round) keeps their account. The whole file is "
        "refused, nothing imported, exit status 1, with every problem on standard error, one "
        "per line ('line 4001: person.id_number: check digit is 3, expected 7'), when any "
        "line is not JSON, not a valid profile under the round's rule set, of another year, "
        "without the person's name, a person twice in the file or already in the round, or an "
        "application_no twice or already used in the round. Exit status 1 too when the round "
        'does not exist. On success the last line is one JSON object {"year", "imported"}; '
        "one audit event (applications.import) records the count and the file's SHA-256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the JSON Lines file")
        parser.add_argument("--year", type=int, required=True, help="the round's year")
        parser.add_argument(
            "--employer", default=None,
            help="the employer's registration or credit code (default: the import employer)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"找不到导入文件：{path}", returncode=1)
        try:
            with audit_context(channel="cli"):
                result = import_applications(
                    actor=None, year=options["year"], path=path,
                    employer_code=options["employer"],
                )
        except ImportRefused as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError(exc.message, returncode=1) from None
        except (NotFound, Conflict) as exc:
            raise CommandError(exc.message, returncode=1) from None
        self.stdout.write(
            f"已导入 {result.imported} 份申报（{result.year} 年度，用人单位：{result.employer.name}"
            f"，单位注册码 {result.employer.code}），均为单位已提交、待核验"
        )
        self.stdout.write(json.dumps({"year": result.year, "imported": result.imported}))
