"""Helpers that put a service's field errors onto a Django form, so the page shows each
message under its field and keeps everything the person typed."""

from __future__ import annotations

from django import forms

from .errors import ServiceError

# The longest free text a page takes (a description, an answer): every text field is bounded,
# so that a megabyte pasted or posted into one is refused rather than stored.
TEXT_MAX = 10_000


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    placed = False
    for err in exc.errors:
        name = err.field if err.field in form.fields else None
        form.add_error(name, err.message)
        placed = True
    if not placed:
        form.add_error(None, exc.message)
