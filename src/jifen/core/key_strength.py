"""Refusing weak secret keys at start-up (production settings).

A key given as hex must be at least 32 bytes and look random. Real keys come from a random
generator (``python -c "import secrets; print(secrets.token_hex(32))"``); what is refused is
what people type instead: all zero, one byte repeated, a short pattern repeated, a counting
sequence (00 01 02 …), hex-encoded text, or few distinct bytes. Each test is one a random
32-byte key fails with a probability below 10⁻¹³. Pure Python: settings import it.
"""

from __future__ import annotations

MIN_BYTES = 32
# 32 random bytes have about 30 distinct values; fewer than 20 does not happen by chance.
MIN_DISTINCT_BYTES = 20


def _periodic(key: bytes) -> bool:
    """True when ``key`` is a shorter block repeated (possibly cut at the end)."""
    return any(
        all(key[i] == key[i % period] for i in range(len(key)))
        for period in range(1, len(key) // 2 + 1)
    )


def _progression(key: bytes) -> bool:
    """True when consecutive bytes differ by a constant (00 01 02 …, ff fe fd …)."""
    step = (key[1] - key[0]) % 256
    return all((key[i + 1] - key[i]) % 256 == step for i in range(len(key) - 1))


def key_problem(value: str) -> str | None:
    """Why the hex key ``value`` must not be used, or None when it looks random."""
    try:
        key = bytes.fromhex(value.strip())
    except ValueError:
        return "it must be hexadecimal (64 characters: 32 random bytes)"
    if len(key) < MIN_BYTES:
        return f"it must be at least {MIN_BYTES} bytes (64 hex characters)"
    if not any(key):
        return "it is all zero"
    if _periodic(key):
        return "it is a short pattern repeated"
    if _progression(key):
        return "it is a counting sequence"
    if all(0x20 <= b < 0x7F for b in key):
        return "it is text written as hex, not random bytes"
    if len(set(key)) < MIN_DISTINCT_BYTES:
        return f"it has only {len(set(key))} distinct bytes: too little entropy"
    return None


def weak_key_message(name: str, value: str) -> str | None:
    """The start-up error for the setting ``name``, or None when its key is acceptable."""
    problem = key_problem(value)
    if problem is None:
        return None
    return (
        f"{name} is refused: {problem}. Generate one with "
        "python -c \"import secrets; print(secrets.token_hex(32))\""
    )
