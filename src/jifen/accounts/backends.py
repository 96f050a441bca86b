"""The sign-in backend: Django's ModelBackend, with the account's applicant profile or employer
loaded in the same query as the account on every request (the pages of both read it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

PATH = "jifen.accounts.backends.AccountBackend"


class AccountBackend(ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            # LEFT JOINs: a staff account has neither, and then reading them asks nothing more.
            user = model._default_manager.select_related("applicant", "employer").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
