"""Resident identity numbers (GB 11643-1999): check digit, birth date and sex."""

from __future__ import annotations

from operator import mul
from typing import Any

from .problems import EN

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum modulo 11
_ZEROS = ord("0") * sum(WEIGHTS)  # what the digits' character codes add beyond their values


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits (ISO 7064 MOD 11-2), ASCII digits only."""
    if len(first17) != 17 or not first17.isascii():
        raise ValueError("expected 17 ASCII digits")
    # The weighted sum over the character codes, in C (the batch reader checks every line).
    return CHECK_CHARS[(sum(map(mul, first17.encode(), WEIGHTS)) - _ZEROS) % 11]


def identity_issue(number: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``number`` is not a well-formed identity number, as a problem code and its
    parameters (see ``problems``), or None when it is well-formed."""
    if len(number) != 18:
        return "id_length", {"length": len(number)}
    first17 = number[:17]
    if not first17.isdigit() or not first17.isascii():
        return "id_digits", {}
    last = number[17]
    if last not in "0123456789X":
        return "id_last_character", {}
    expected = check_digit(first17)
    if last != expected:
        return "id_check_digit", {"got": last, "expected": expected}
    return None


def identity_problem(number: str) -> str | None:
    """Why ``number`` is not a well-formed identity number (English), or None when it is."""
    issue = identity_issue(number)
    return None if issue is None else EN[issue[0]](issue[1])


def birth_date_of(number: str) -> str:
    """``YYYY-MM-DD`` as written in a well-formed identity number."""
    return f"{number[6:10]}-{number[10:12]}-{number[12:14]}"


def sex_of(number: str) -> str:
    """``M`` or ``F`` from the sequence digit's parity (odd for men)."""
    return "M" if (ord(number[16]) - 48) % 2 else "F"


def mask(number: str) -> str:
    """The form shown on screen: the first 6 and the last 4 characters."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]
