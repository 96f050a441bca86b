"""Helpers that put a service's field errors onto a Django form, so the page shows each
message under its field and keeps everything the person typed."""

from __future__ import annotations

from django import forms

from .errors import ServiceError


def apply_service_error(form: forms.Form, exc: ServiceError) -> None:
    placed = False
    for err in exc.errors:
        name = err.field if err.field in form.fields else None
        form.add_error(name, err.message)
        placed = True
    if not placed:
        form.add_error(None, exc.message)
