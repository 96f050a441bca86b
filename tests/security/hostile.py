"""The fixed list of hostile inputs every form and API field is tried with.

Fixed (not random) so that a failure reproduces and names the value; each value has a short
label for the test ids and failure messages. Values are text, as a browser or a JSON client
sends them; ``HOSTILE_NUMBERS`` are the JSON numbers for integer and number fields.
"""

from __future__ import annotations

# A valid identity number's first 17 characters (Beijing Chaoyang, born 1988-03-15): the
# malformed ones below are built on it, with its check digit computed by hand.
_BODY = "11010519880315002"

HOSTILE_TEXT: dict[str, str] = {
    # injection
    "sql_quote": "' OR '1'='1' --",
    "sql_union": "1; DROP TABLE accounts_user; -- ' UNION SELECT password FROM accounts_user",
    "xss_script": "<script>alert('xss')</script>",
    "xss_attr": '"><img src=x onerror=alert(1)>',
    "html_comment": "<!-- --><b>粗体</b>&amp;&lt;",
    "template_expr": "{{7*7}}${7*7}#{7*7}",
    "template_tag": "{% load static %}{% debug %}",
    "crlf_header": "正常\r\nSet-Cookie: injected=1",
    "formula": "=HYPERLINK(\"http://evil.example\",\"点击\")",
    # size
    "oversized_10k": "积" * 10_000,
    "oversized_1m": "A" * 1_000_000,
    "empty": "",
    "spaces": "   \t  ",
    # bytes
    "nul": "abc\x00def",
    "control": "\x01\x02\x1b[31m\x7f",
    # identity numbers (GB 11643): wrong check digit, 17 characters, letters, a future birth
    # date, 31 February (check digits right, so only the date makes them invalid)
    "id_bad_check": _BODY + "0",  # the right check digit is 9
    "id_17_chars": _BODY,
    "id_letters": "11010519880315ABCD",
    "id_future_birth": "110105209903150027",
    "id_31_feb": "110105198802310027",
    # dates
    "date_31_feb": "2024-02-31",
    "date_13th_month": "2024-13-01",
    "date_words": "昨天",
    "date_year_0": "0000-00-00",
    "date_far_future": "99999-12-31",
    "date_slashes": "31/12/2024",
    # Unicode tricks
    "rtl_override": "王\u202e素芳",
    "zero_width": "王\u200d\u200b素\ufeff芳",
    "fullwidth_digits": "１２３４５６",
    "combining": "王\u0301\u0302\u0303素芳",
    "lone_surrogate": "王\ud800芳",
    "emoji": "王素芳😀👨‍👩‍👧",
    "arabic_indic": "١٢٣٤٥٦",
    # numbers as text
    "negative": "-1",
    "huge": "99999999999999999999999999999999",
    "float_text": "1e308",
    "nan_text": "NaN",
    # path traversal (file names and path-like fields)
    "path_traversal": "../../../../etc/passwd",
    "path_windows": "..\\..\\windows\\win.ini",
    "path_nul": "证明.pdf\x00.exe",
}

# JSON numbers for integer and number fields.
HOSTILE_NUMBERS: dict[str, int | float] = {
    "num_negative": -1,
    "num_zero": 0,
    "num_int64_overflow": 2**63,
    "num_huge": 10**40,
    "num_float": 1.5,
}

# File names for uploads.
HOSTILE_FILE_NAMES: dict[str, str] = {
    "path_traversal": "../../../../tmp/证明.pdf",
    "path_windows": "..\\..\\证明.pdf",
    "nul": "证明\x00.pdf",
    "rtl_override": "证明\u202efdp.exe",
    "oversized": "证" * 1000 + ".pdf",
    "xss": "<script>alert(1)</script>.pdf",
}

# A shorter list for fields that only pick from a list (choices, filters): one of each kind.
CORE = (
    "sql_quote", "xss_attr", "template_expr", "oversized_10k", "nul", "control",
    "rtl_override", "fullwidth_digits", "emoji", "negative", "huge", "path_traversal",
    "date_31_feb",
)

# Values a form or the API must never accept as an identity number.
BAD_IDENTITY_NUMBERS = (
    "id_bad_check", "id_17_chars", "id_letters", "id_future_birth", "id_31_feb",
)

# Values that are never a valid date.
BAD_DATES = (
    "date_31_feb", "date_13th_month", "date_words", "date_year_0", "date_far_future",
    "id_31_feb", "xss_script", "sql_quote",
)


def encodable(value: str) -> bool:
    """Whether ``value`` can be sent as UTF-8 at all (a lone surrogate cannot: a client has
    to escape it in JSON, and a form post cannot carry it)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def markers(value: str) -> list[str]:
    """The parts of ``value`` that must never appear unescaped in an HTML page."""
    return [m for m in ("<script>", "<img src=x", "<b>粗体</b>") if m in value]
