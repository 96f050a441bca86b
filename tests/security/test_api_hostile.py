"""The hostile inputs on every field of every JSON API operation: each query parameter and
each field of each JSON body, as the caller the operation is meant for
(tests/api/operation_roles.py), the other fields given plain valid-looking values.

Never a server error; every answer is JSON (a value sent back can never be read as HTML);
and the invalid values that matter are refused: a malformed identity number never registers
anyone, an impossible date never makes a round, a huge number never stored.
"""

from __future__ import annotations

import itertools
import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from jifen.accounts.models import User
from jifen.api.api import api
from jifen.applications import services
from jifen.core.roles import Department, Role
from jifen.rounds.models import Round
from tests.api.conftest import token_for
from tests.api.operation_roles import (
    ANYONE,
    APPLICANT,
    BUREAU,
    EMPLOYER,
    OPERATION_ROLES,
    REVIEWER,
    WINDOW,
)
from tests.factories import (
    PASSWORD,
    credit_code,
    employer_submitted,
    fill_declaration,
    id_number,
    linked_pair,
    make_staff,
    staff_client,
)
from tests.security.hostile import (
    BAD_DATES,
    BAD_IDENTITY_NUMBERS,
    HOSTILE_NUMBERS,
    HOSTILE_TEXT,
    encodable,
)

pytestmark = [pytest.mark.django_db, pytest.mark.sweep]

DOCUMENT = None
_n = itertools.count(5000)
# Values each field gets in turn (a rotation through the whole list, so that every value is
# tried on many fields while the run stays bounded); the key fields below get all of them.
PER_FIELD = 4
KEY_FIELDS = {
    ("register_applicant", "id_number"), ("register_applicant", "name"),
    ("register_employer", "credit_code"), ("password_reset_request", "identifier"),
    ("round_create", "declaration_opens"), ("round_create", "quota"),
    ("link_request", "employer_code"), ("adhoc_run", "filters"), ("public_list", "q"),
}


def _document() -> dict[str, Any]:
    global DOCUMENT
    if DOCUMENT is None:
        DOCUMENT = api.get_openapi_schema(path_prefix="/api/")
    return DOCUMENT


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = _document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "allOf"):
        if key in schema:
            options = [_resolve(s) for s in schema[key] if s.get("type") != "null"]
            return options[0] if options else {}
    return schema


def _plain(schema: dict[str, Any]) -> Any:
    """A plain value of the schema's type (the other fields of a request)."""
    schema = _resolve(schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    fmt = schema.get("format", "")
    return {
        "integer": 1, "number": 1, "boolean": True, "array": [], "object": {},
    }.get(kind, {"date": "2026-01-01", "date-time": "2026-01-01T09:00:00+08:00"}.get(fmt, "测试"))


def _operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    out = []
    for path, methods in _document()["paths"].items():
        for method, op in methods.items():
            out.append((op["operationId"], method, path, op))
    return out


def _fields(op: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict], dict[str, Any]]:
    """(query parameters, JSON body properties, the body's required names and plain values)."""
    query = {p["name"]: p.get("schema", {}) for p in op.get("parameters", [])
             if p["in"] == "query"}
    content = op.get("requestBody", {}).get("content", {})
    body_schema = _resolve(content["application/json"]["schema"]) \
        if "application/json" in content else {}
    props = body_schema.get("properties", {})
    return query, props, {name: _plain(s) for name, s in props.items()}


# Valid bodies of the operations where a plain one would be refused before the field is
# looked at (so that the hostile value in one field is what decides).
def _valid_body(operation_id: str, n: int) -> dict[str, Any] | None:
    if operation_id == "register_applicant":
        return {"username": f"api{n}", "password": PASSWORD, "name": "张晓明",
                "id_number": id_number(serial=n), "phone": f"139{n:08d}"}
    if operation_id == "register_employer":
        return {"employer_name": "北京测试科技有限公司", "credit_code": credit_code(n),
                "district": "通州区", "username": f"apiemp{n}", "password": PASSWORD,
                "agent_name": "李经办", "phone": f"138{n:08d}"}
    if operation_id == "round_create":
        return {"year": 2040 + n % 50, "rule_set": "beijing-2020",
                "declaration_opens": "2040-05-01T09:00:00+08:00",
                "declaration_closes": "2040-05-31T17:00:00+08:00"}
    return None


def _values(operation_id: str, name: str, schema: dict[str, Any], turn: int) -> list[Any]:
    texts = [v for v in HOSTILE_TEXT.values() if encodable(v)]
    numbers = list(HOSTILE_NUMBERS.values())
    everything = texts + numbers
    if (operation_id, name) in KEY_FIELDS:
        return everything
    start = (turn * PER_FIELD) % len(everything)
    picked = (everything * 2)[start:start + PER_FIELD]
    if _resolve(schema).get("type") in ("integer", "number"):
        picked += [HOSTILE_NUMBERS["num_int64_overflow"], HOSTILE_NUMBERS["num_negative"]]
    return picked


def _world() -> dict[str, Any]:
    _applicant, agent, sent = employer_submitted(2026)
    draft_owner, _ = linked_pair()
    draft = services.application_start(actor=draft_owner)
    fill_declaration(draft_owner, draft, evidence=False)
    staff = {
        REVIEWER: make_staff(Role.REVIEWER, department=Department.TAX),
        WINDOW: make_staff(Role.REVIEWER, department=Department.SERVICE_WINDOW),
        BUREAU: make_staff(Role.BUREAU_ADMIN),
    }
    return {
        "users": {APPLICANT: draft_owner, EMPLOYER: agent, **staff},
        "ids": {APPLICANT: {"application_id": draft.pk}, EMPLOYER: {"application_id": sent.pk}},
    }


def _client(world: dict[str, Any], caller: str) -> tuple[Client, dict[str, str]]:
    if caller == ANYONE:
        return Client(), {}
    user = world["users"][caller]
    if caller in (APPLICANT, EMPLOYER):
        return Client(), {"Authorization": f"Bearer {token_for(user)}"}
    return staff_client(user), {}


def _path(path: str, caller: str, world: dict[str, Any]) -> str:
    ids = world["ids"].get(caller, {})
    for name in ("application_id", "year"):
        value = ids.get(name, 2026 if name == "year" else 1)
        path = path.replace("{" + name + "}", str(value))
    while "{" in path:
        start, end = path.index("{"), path.index("}")
        path = path[:start] + "1" + path[end + 1:]
    return path


def _call(client: Client, headers: dict[str, str], method: str, path: str,
          query: dict[str, Any], body: dict[str, Any] | None, n: int) -> Any:
    remote = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
    if query:
        path = f"{path}?{urlencode(query)}"
    if body is None:
        return client.generic(method.upper(), path, headers=headers, REMOTE_ADDR=remote)
    return client.generic(method.upper(), path, json.dumps(body),
                          content_type="application/json", headers=headers,
                          REMOTE_ADDR=remote)


def _refused_as_it_must(operation_id: str, name: str, value: Any, response: Any,
                        before: dict[str, int]) -> str | None:
    """The invalid values that must not get through: None when they did not."""
    label = next((k for k, v in HOSTILE_TEXT.items() if v == value), None)
    if operation_id == "register_applicant" and name == "id_number" \
            and label in BAD_IDENTITY_NUMBERS:
        if User.objects.count() != before["users"] or response.status_code < 400:
            return "a malformed identity number registered someone"
        fields = {e["field"] for e in response.json()["errors"]}
        if "id_number" not in fields:
            return f"the refusal does not name id_number: {response.json()}"
    if operation_id == "round_create" and name in ("declaration_opens", "declaration_closes") \
            and label in BAD_DATES and Round.objects.count() != before["rounds"]:
        return "an impossible date made a round"
    if operation_id == "round_create" and name == "quota" and isinstance(value, int) \
            and (value <= 0 or value > 1_000_000) and Round.objects.count() != before["rounds"]:
        return "an impossible quota made a round"
    return None


def _operation_ids() -> list[str]:
    return sorted(OPERATION_ROLES)


@pytest.mark.parametrize(
    "group", [tuple(_operation_ids()[i::4]) for i in range(4)], ids=[f"part{i}" for i in range(4)]
)
def test_hostile_values_in_every_api_field(group: tuple[str, ...]) -> None:
    world = _world()
    problems: list[str] = []
    turn = 0
    for operation_id, method, path, op in _operations():
        if operation_id not in group:
            continue
        caller = OPERATION_ROLES[operation_id]
        client, headers = _client(world, caller)
        query, props, plain = _fields(op)
        url = _path(path, caller, world)
        sane = _valid_body(operation_id, next(_n))
        if sane is not None:  # the valid body is taken: the refusals below are the field's
            response = _call(client, headers, method, url, {}, sane, next(_n))
            assert response.status_code in (200, 201), (operation_id, response.content)
        targets = [("query", k, s) for k, s in query.items()] + \
                  [("body", k, s) for k, s in props.items()]
        for where, name, schema in targets:
            turn += 1
            for value in _values(operation_id, name, schema, turn):
                n = next(_n)
                body = (_valid_body(operation_id, n) or dict(plain)) if props else None
                params: dict[str, Any] = {}  # the other query parameters are optional
                if where == "query":
                    params[name] = value
                else:
                    body = dict(body or {})
                    body[name] = value
                before = {"users": User.objects.count(), "rounds": Round.objects.count()}
                response = _call(client, headers, method, url, params, body, n)
                shown = repr(value)[:40]
                label = f"{operation_id} {where}.{name} = {shown}"
                if response.status_code >= 500:
                    problems.append(f"{label}: {response.status_code}")
                    continue
                kind = response.get("Content-Type", "")
                if response.status_code != 204 and "json" not in kind \
                        and "spreadsheet" not in kind and "octet" not in kind:
                    problems.append(f"{label}: answered {kind!r}")
                failure = _refused_as_it_must(operation_id, name, value, response, before)
                if failure:
                    problems.append(f"{label}: {failure}")
    assert problems == []
