"""Kraken private-endpoint authentication: ``API-Key``, ``API-Sign`` and per-key nonces.

``API-Sign = base64(HMAC-SHA512(base64decode(secret), uri_path + SHA256(nonce + postdata)))``,
where ``uri_path`` is e.g. ``/0/private/Balance`` and ``postdata`` is the raw request body
exactly as sent (the fake verifies over the received bytes, never a re-encoding).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from .util import KrakenError

TEST_API_KEY = "FAKE-KRAKEN-TEST-KEY-coXIs+q1VWY0VXfLExGPMFxA149UuhKvqWOYC1Gw"
TEST_API_SECRET = (
    "suoPNvLVWiAVkBIOYNDnaPRbmsDd5LCmwKJaGVMXUtkxEbYhWgNV8//BGsLCPOeBTz76douVpUZvkFlIxUkLpg=="
)

INVALID_KEY = "EAPI:Invalid key"
INVALID_SIGNATURE = "EAPI:Invalid signature"
INVALID_NONCE = "EAPI:Invalid nonce"


def sign(uri_path: str, nonce: str, body: str, secret: str) -> str:
    """The ``API-Sign`` header value Kraken expects for this request."""
    digest = hashlib.sha256((nonce + body).encode()).digest()
    mac = hmac.new(base64.b64decode(secret), uri_path.encode() + digest, hashlib.sha512)
    return base64.b64encode(mac.digest()).decode()


class Authenticator:
    """Checks key, signature and nonce; remembers the last accepted nonce per key."""

    def __init__(self, keys: dict[str, str]) -> None:
        self.keys = dict(keys)
        self.last_nonce: dict[str, int] = {}

    def check(
        self, uri_path: str, api_key: str | None, api_sign: str | None, body: str, nonce: str
    ) -> str:
        """Return the authenticated key, or raise the ``EAPI:`` error Kraken would send."""
        if api_key is None or api_key not in self.keys:
            raise KrakenError(INVALID_KEY)
        if not api_sign or not self._signature_ok(uri_path, api_key, api_sign, body, nonce):
            raise KrakenError(INVALID_SIGNATURE)
        if not nonce.isdigit() or int(nonce) <= self.last_nonce.get(api_key, 0):
            raise KrakenError(INVALID_NONCE)
        self.last_nonce[api_key] = int(nonce)
        return api_key

    def _signature_ok(
        self, uri_path: str, api_key: str, api_sign: str, body: str, nonce: str
    ) -> bool:
        try:
            expected = sign(uri_path, nonce, body, self.keys[api_key])
        except (binascii.Error, ValueError):
            return False
        return hmac.compare_digest(expected, api_sign)
