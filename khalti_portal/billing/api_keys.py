"""API keys as the core knows them: how a key is made, hashed and told apart; the API looks keys up by `hash_key`.

A key is `kp_` and 43 URL-safe characters (32 random bytes). Only its SHA-256 is stored: a key is long and
random, so a plain hash is enough (no salt or slow hash needed), and it lets a presented key be found with
one indexed read. The prefix (its first 11 characters) is kept in the clear so admins can tell keys apart.
The admin operations live in `billing.admin.api_keys`; this module never imports them.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "kp_"
PREFIX_CHARS = 11


def new_key() -> str:
    """A fresh key: `kp_` and 32 random bytes, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """The SHA-256 of a key as 64 hex digits: what `ApiKey.key_hash` holds and what a presented key is looked up by."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """The first characters of a key, kept in the clear so admins can tell keys apart."""
    return key[:PREFIX_CHARS]
