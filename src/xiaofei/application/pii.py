"""Protection of ID numbers (身份证号): keyed hash for matching, AES-GCM sealing, masking for display."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from xiaofei.domain.codes import mask_id_number

_AAD = b"xiaofei:id-number:v1"


class IdProtector:
    """Derives two independent keys from the service secret: one to hash, one to seal."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) != 32:
            raise ValueError("secret must be 32 bytes")
        self._hash_key = hmac.new(secret, b"id-hash", hashlib.sha256).digest()
        self._aead = AESGCM(hmac.new(secret, b"id-seal", hashlib.sha256).digest())

    def hash(self, id_number: str) -> str:
        """Keyed hash: equal numbers give equal hashes; without the key the number cannot be guessed."""
        return hmac.new(self._hash_key, id_number.encode(), hashlib.sha256).hexdigest()

    def seal(self, id_number: str) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self._aead.encrypt(nonce, id_number.encode(), _AAD)).decode()

    def open(self, sealed: str) -> str:
        raw = base64.b64decode(sealed)
        return self._aead.decrypt(raw[:12], raw[12:], _AAD).decode()

    @staticmethod
    def mask(id_number: str) -> str:
        return mask_id_number(id_number)
