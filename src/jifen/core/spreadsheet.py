"""Text for spreadsheet cells (XLSX and CSV exports): never read as a formula.

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be taken
for a formula by a spreadsheet (CSV/formula injection); such text gets a leading apostrophe,
which the spreadsheet shows as text. A number written as text ("-12.00") is left as it is.
"""

from __future__ import annotations

from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> str:
    """``value`` as text a spreadsheet shows as written."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text
