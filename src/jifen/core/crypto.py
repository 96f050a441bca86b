"""Field encryption for personal data at rest (identity and phone numbers).

SM4-GCM (GB/T 32907, the national standard block cipher, in an authenticated mode) for the
value, and an HMAC-SM3 *blind index* for equality look-ups (uniqueness of an identity number)
without decrypting. Keys derive from settings.FIELD_ENCRYPTION_KEY (64 hex characters);
production requires it from the environment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

_PREFIX = "sm4gcm1:"
_NONCE = 12
_TAG = 16


@lru_cache(maxsize=4)
def _keys(master_hex: str) -> tuple[bytes, bytes]:
    master = bytes.fromhex(master_hex)
    if len(master) < 32:
        raise ValueError("FIELD_ENCRYPTION_KEY must be at least 32 bytes (64 hex characters)")
    # Two independent keys from one secret: one to encrypt, one for the blind index.
    enc = hmac.new(master, b"jifen field encryption", "sm3").digest()[:16]
    idx = hmac.new(master, b"jifen blind index", "sm3").digest()
    return enc, idx


def _current() -> tuple[bytes, bytes]:
    return _keys(settings.FIELD_ENCRYPTION_KEY)


def encrypt(plaintext: str) -> str:
    key, _ = _current()
    nonce = os.urandom(_NONCE)
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    body = enc.update(plaintext.encode()) + enc.finalize()
    return _PREFIX + base64.b64encode(nonce + body + enc.tag).decode("ascii")


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise ValueError("not an encrypted field value")
    raw = base64.b64decode(token[len(_PREFIX) :])
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    key, _ = _current()
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    return (dec.update(body) + dec.finalize()).decode()


def blind_index(value: str) -> str:
    """Deterministic keyed hash of a normalised value: equal inputs give equal indexes."""
    _, key = _current()
    return hmac.new(key, value.strip().upper().encode(), "sm3").hexdigest()


def phone_index(phone: str) -> str:
    """The blind index of a phone number ("" for none): its digits only, a leading +86 dropped,
    under a prefix of its own so that it never equals an identity number's index."""
    digits = "".join(c for c in (phone or "") if c.isdigit())
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return blind_index("phone:" + digits) if digits else ""


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()
