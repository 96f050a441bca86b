"""Fixtures of the JSON API tests: evidence files in a temporary folder, a client that sends
a Bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from jifen.api.models import ApiToken
from tests.files import PDF

PDF_BYTES = PDF  # a real (tiny, valid) PDF


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Any) -> Iterator[Any]:
    """Evidence files go to a temporary folder, not var/evidence."""
    folder = tmp_path / "evidence"
    with override_settings(EVIDENCE_ROOT=folder):
        yield folder


class ApiClient:
    """Django's test client speaking JSON, with a Bearer token when it has one."""

    def __init__(self, token: str | None = None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self._headers())

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            path, body if body is not None else {}, content_type="application/json",
            headers=self._headers(),
        )

    def put(self, path: str, body: Any) -> Any:
        return self.client.put(path, body, content_type="application/json",
                               headers=self._headers())

    def delete(self, path: str) -> Any:
        return self.client.delete(path, headers=self._headers())

    def upload(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, data, headers=self._headers())


def token_for(user: Any) -> str:
    """A Bearer token for ``user``, straight from the model (no login request)."""
    return ApiToken.issue(user)[1]


@pytest.fixture
def api_as() -> Any:
    def make(user: Any = None) -> ApiClient:
        return ApiClient(token_for(user) if user is not None else None)

    return make
