"""The phone number's blind index: set on every save, equal for the same number however it
was typed, never the number itself; the migration fills it for the users already there."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from jifen.accounts.models import User
from jifen.core import crypto
from tests.factories import make_applicant

pytestmark = pytest.mark.django_db


def test_the_index_is_set_on_registration_and_follows_the_number() -> None:
    user = make_applicant()
    stored = User.objects.get(pk=user.pk)
    assert stored.phone_index == crypto.phone_index(stored.phone) != ""
    assert len(stored.phone_index) == 64 and stored.phone not in stored.phone_index

    stored.phone = "13912345678"
    stored.save(update_fields=["phone"])  # the index is saved with the number
    assert User.objects.get(pk=user.pk).phone_index == crypto.phone_index("13912345678")
    stored.phone = ""
    stored.save()
    assert User.objects.get(pk=user.pk).phone_index == ""


def test_one_number_typed_differently_has_one_index() -> None:
    same = {crypto.phone_index(p) for p in ("13912345678", " 139 1234 5678", "+86-139-1234-5678")}
    assert len(same) == 1
    assert crypto.phone_index("13912345679") not in same
    assert crypto.phone_index("13912345678") != crypto.blind_index("13912345678")
    assert crypto.phone_index("") == ""


def test_the_migration_fills_the_index_of_existing_users() -> None:
    users = [make_applicant(), make_applicant()]
    User.objects.filter(pk__in=[u.pk for u in users]).update(phone_index="")
    migration = importlib.import_module("jifen.accounts.migrations.0004_user_phone_index")
    migration.fill_phone_index(apps, None)
    for user in users:
        stored = User.objects.get(pk=user.pk)
        assert stored.phone_index == crypto.phone_index(stored.phone) != ""
