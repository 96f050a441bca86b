"""Every operation of the OpenAPI document has its caller in tests/api/operation_roles.py
(so the schemathesis tests call it: a new endpoint without one fails here), and the
document names each body and answer schema once: two schema classes of one
name would share one entry, and the document would describe one operation with the other's
shape (as it did for the review item's differences, the dispute answer, the scoring results
and the reviewer's view of the applicant)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter

from ninja import Schema

import jifen.api
from jifen.api.api import api
from tests.api.operation_roles import OPERATION_ROLES


def test_every_operation_has_a_caller() -> None:
    document = api.get_openapi_schema(path_prefix="/api/")
    operations = {
        op["operationId"] for methods in document["paths"].values() for op in methods.values()
    }
    assert operations == set(OPERATION_ROLES)


def test_schema_class_names_are_unique_across_the_api() -> None:
    names: Counter[str] = Counter()
    for info in pkgutil.iter_modules(jifen.api.__path__, "jifen.api."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, Schema) \
                    and value.__module__ == info.name:
                names[name] += 1
    assert [name for name, count in names.items() if count > 1] == []
