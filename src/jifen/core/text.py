"""What people type through a Chinese input method, made plain before it is checked.

A Chinese IME in full-width mode (全角) types ``１２３``, ``－`` and ``Ｘ`` where the rules
expect ``123``, ``-`` and ``X``. :func:`halfwidth` folds the full-width forms of ASCII
(U+FF01..U+FF5E) and the ideographic space (U+3000) into ASCII, and nothing else: values are
stored and checked as ASCII from then on.

Other scripts' digits (Arabic-Indic ``٢٠٢٤``, Devanagari ``२०२४`` ...) are *not* folded: Python's
``int()`` and ``\\d`` accept them, so left alone they would be stored as typed and counted.
:func:`foreign_digit` finds them so that the field can be refused with a message that says why
(:data:`FOREIGN_DIGIT_MESSAGE`).
"""

from __future__ import annotations

import unicodedata

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space

FOREIGN_DIGIT_MESSAGE = "请使用阿拉伯数字 0-9 填写"


def halfwidth(text: str) -> str:
    """``text`` with full-width ASCII forms and the ideographic space as plain ASCII."""
    return text.translate(_FULLWIDTH)


def foreign_digit(text: str) -> str | None:
    """The first decimal digit in ``text`` that is not one of ASCII ``0``-``9`` (after
    :func:`halfwidth`, full-width digits are ASCII already), or None."""
    for char in text:
        if char.isdigit() and not ("0" <= char <= "9"):
            return char
    return None


def describe_char(char: str) -> str:
    """A character and its Unicode name, for an error message: ``“٢”（ARABIC-INDIC DIGIT TWO）``."""
    return f"“{char}”（{unicodedata.name(char, hex(ord(char)))}）"
