"""Personal data never enters the audit log in the clear: keyed fingerprints instead.

The log is kept for years and cannot be corrected, so an event records *which* fields changed,
with an HMAC-SM3 fingerprint of each old and new value (under the fingerprint key derived from
``AUDIT_CHAIN_KEY``), never the values. A fingerprint shows that a value changed, and lets
someone holding the key confirm a claimed value ("was the district 海淀区 at seq 812?") by
computing its fingerprint again; it does not reveal the value to a reader of the log. The
``scope`` (e.g. the application and the row's id) is part of what is hashed, so the same value
in two records gives unrelated fingerprints: the log does not link records by their values.

Why not encrypt the values and show them to the auditor? They would stay decryptable for as
long as the log is kept, by anyone who gets the key, with no way to erase one person's data
from an append-only log. docs/audit.md says more.
"""

from __future__ import annotations

from typing import Any

from .hashing import canonical_json, jsonable
from .keys import current_keys, hmac_sm3_hex

# 128 bits: enough to tell values apart, half the log space of a full digest.
FINGERPRINT_HEX = 32


def fingerprint(value: Any, *, scope: str) -> str:
    """The keyed fingerprint (32 hex characters) of ``value`` within ``scope``."""
    plain = jsonable({"v": value})
    text = canonical_json({"scope": scope, "value": plain["v"] if plain else None})
    return hmac_sm3_hex(current_keys().fingerprint, text.encode("utf-8"))[:FINGERPRINT_HEX]


def text_fact(text: str | None, *, scope: str) -> dict[str, Any]:
    """What the log keeps of a free text (a reason, a file name, a typed user name): its length
    and fingerprint, or only a length of 0 when it is empty."""
    text = text or ""
    if not text:
        return {"length": 0}
    return {"length": len(text), "fingerprint": fingerprint(text, scope=scope)}


def _is_rows(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, dict) and "id" in r for r in value)


def _change(path: str, change: str, scope: str, before: Any, after: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"path": path, "change": change}
    if change != "added":
        item["before"] = fingerprint(before, scope=scope)
    if change != "removed":
        item["after"] = fingerprint(after, scope=scope)
    return item


def changes(before: Any, after: Any, *, path: str, scope: str) -> list[dict[str, Any]]:
    """Which parts of ``path`` differ between ``before`` and ``after``, as
    ``{"path", "change", "before", "after"}`` items with fingerprints instead of values.

    Objects are compared key by key (``tax.2024``), lists of rows that carry an ``id`` row by
    row (``housing[1].district`` "modified", ``housing[2]`` "added" or "removed"; the index is
    the row's position, 0-based, in the version that holds it), anything else as a whole.
    """
    if isinstance(before, dict) or isinstance(after, dict):
        old = before if isinstance(before, dict) else {}
        new = after if isinstance(after, dict) else {}
        found: list[dict[str, Any]] = []
        for key in [*new, *(k for k in old if k not in new)]:
            found += changes(
                old.get(key), new.get(key), path=f"{path}.{key}", scope=f"{scope}.{key}"
            )
        return found
    if _is_rows(before or []) and _is_rows(after or []) and (before or after):
        old_rows = {row["id"]: (i, row) for i, row in enumerate(before or [])}
        new_ids = {row["id"] for row in after or []}
        found = []
        for index, row in enumerate(after or []):
            row_path, row_scope = f"{path}[{index}]", f"{scope}[{row['id']}]"
            if row["id"] not in old_rows:
                found.append(_change(row_path, "added", row_scope, None, row))
                continue
            old_row = old_rows[row["id"]][1]
            for key in [*row, *(k for k in old_row if k not in row)]:
                if key != "id" and old_row.get(key) != row.get(key):
                    found.append(
                        _change(
                            f"{row_path}.{key}", "modified", f"{row_scope}.{key}",
                            old_row.get(key), row.get(key),
                        )
                    )
        for row_id, (index, row) in old_rows.items():
            if row_id not in new_ids:
                found.append(
                    _change(f"{path}[{index}]", "removed", f"{scope}[{row_id}]", row, None)
                )
        return found
    if before == after:
        return []
    if before is None:
        return [_change(path, "added", scope, None, after)]
    if after is None:
        return [_change(path, "removed", scope, before, None)]
    return [_change(path, "modified", scope, before, after)]
