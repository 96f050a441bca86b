"""Months as integers and sets of months as bit masks.

A month is ``year * 12 + (month - 1)``. A set of months inside a window that starts at month
``base`` is a Python int whose bit ``m - base`` is set for each month ``m``: union, intersection
and difference are ``|``, ``&`` and ``& ~``, and counting is ``int.bit_count()``. This keeps the
scoring of a profile to a few integer operations per record instead of a loop over months.
"""

from __future__ import annotations

from .problems import EN


class MonthError(ValueError):
    """A text that is not a month: ``code`` is ``bad_month`` or ``month_out_of_range``."""

    def __init__(self, code: str, text: str) -> None:
        super().__init__(EN[code]({"text": text}))
        self.code = code
        self.text = text


class _MonthIndex(dict):  # type: ignore[type-arg]
    """``MONTH_INDEX["2021-07"]``: the month index of a ``YYYY-MM`` text, parsed once.

    A subscription, not a call: the batch reader looks up a dozen months a profile, and a
    million profiles name only a few hundred distinct ones. A bad text raises ValueError
    (a MonthError, and is not kept).
    """

    __slots__ = ()

    def __missing__(self, text: str) -> int:
        if (
            type(text) is not str
            or len(text) != 7
            or text[4] != "-"
            or not (text[:4].isdigit() and text[5:].isdigit() and text.isascii())
        ):
            raise MonthError("bad_month", text)
        month = int(text[5:])
        if not 1 <= month <= 12:
            raise MonthError("month_out_of_range", text)
        index = self[text] = int(text[:4]) * 12 + month - 1
        return index


MONTH_INDEX: dict[str, int] = _MonthIndex()
_LABEL: dict[int, str] = {}


def month_label(index: int) -> str:
    label = _LABEL.get(index)
    if label is None:
        label = _LABEL[index] = f"{index // 12:04d}-{index % 12 + 1:02d}"
    return label


def parse_month(text: str) -> int:
    """Parse ``YYYY-MM`` into a month index; raise ValueError with a short message."""
    return MONTH_INDEX[text]


def span_mask(first: int, last: int, lo: int, hi: int) -> int:
    """The months ``first..last`` clipped to the window ``lo..hi``, as a mask based at ``lo``."""
    if first < lo:
        first = lo
    if last > hi:
        last = hi
    if first > last:
        return 0
    return ((1 << (last - first + 1)) - 1) << (first - lo)
