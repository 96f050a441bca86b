"""Fixtures of the JSON API tests: evidence files in a temporary folder, a client that sends
a Bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.test import Client

from jifen.api.models import ApiToken

# A real (tiny, valid) PDF.
PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n"
    b"0000000101 00000 n \ntrailer<</Size 4/Root 1 0 R>>\nstartxref\n164\n%%EOF\n"
)


@pytest.fixture(autouse=True)
def evidence_dir(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Evidence files go to a temporary folder, not var/evidence."""
    from jifen.applications.models import evidence_storage

    folder = tmp_path / "evidence"
    monkeypatch.setattr(evidence_storage, "_wrapped", FileSystemStorage(location=folder))
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
