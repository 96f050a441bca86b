"""Shared by the data comparison tests: real CSV and XLSX files, two employer-submitted
applications, and an upload through the page."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from jifen.applications import services as app_services
from jifen.applications.models import Application
from tests.factories import employer_submitted, fill_declaration, linked_pair


def csv_bytes(header: list[str], rows: list[list[Any]], *, bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")


def xlsx_bytes(header: list[str], rows: list[list[Any]]) -> bytes:
    """A real workbook (openpyxl): dates and date-times become date cells."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def two_submitted() -> tuple[Application, Application]:
    """Two applications of the 2026 round with the full declaration, both passed on by their
    employers (a: 王素芳, b: another applicant of another employer)."""
    _, _, a = employer_submitted(2026)
    b_user, agent = linked_pair()
    b = fill_declaration(b_user, app_services.application_start(actor=b_user))
    b = app_services.application_submit(actor=b_user, application_id=b.pk, version=b.version)
    b = app_services.application_employer_submit(
        actor=agent, application_id=b.pk, version=b.version
    )
    return a, b


def housing_rows(a: Application, b: Application) -> tuple[list[str], list[list[str]]]:
    """a's housing split differently (matches), b without the owned home (differs)."""
    ida, idb = a.applicant.id_number, b.applicant.id_number
    return (
        ["district", "id_number", "kind", "from", "to"],
        [
            ["海淀区", ida, "rented", "2008-07", "2011-12"],
            ["海淀区", ida, "rented", "2012-01", "2015-12"],
            ["通州区", ida, "owned", "2016-01", "2025-12"],
            ["海淀区", idb, "rented", "2008-07", "2015-12"],
        ],
    )


def upload(client: Client, kind: str, name: str, content: bytes, *, year: int = 2026) -> Any:
    return client.post(
        "/review/compare/",
        {"kind": kind, "year": str(year), "file": SimpleUploadedFile(name, content)},
    )
