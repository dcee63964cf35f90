"""Keeping secrets out of what the app writes: logs, environment snapshots, benchmark reports.

Two layers, because neither alone is enough: every token the app has read from the keyring (or
its environment fallback) is *remembered* and replaced wherever it appears, and values that look
like credentials by their shape (`Authorization: ...`, `token=...`, a `"token": ...` key) are
masked even when the app never saw the token itself (a proxy's error page echoing a header).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

MASK = "***"
_MIN_SECRET_LEN = 4  # shorter "tokens" would mask ordinary words and digits everywhere

# `Authorization: Bearer abc`, `X-Api-Key=abc`, `'authorization': 'Bearer abc'` in a dict repr
_HEADER = re.compile(
    r"(?i)(\b(?:proxy-)?authorization|\bx-api-key|\bapi[-_]key)(['\"]?\s*[:=]\s*['\"]?)"
    r"((?:bearer|basic|token)\s+)?([^\s'\",;&]+)")
# `?token=abc`, `access_token=abc`, `"token": "abc"`
_TOKEN_PARAM = re.compile(
    r"(?i)(\b[a-z_]*(?:token|secret|password))(['\"]?\s*[:=]\s*['\"]?)([^\s'\",;&}]+)")
_SECRET_KEY = re.compile(r"(?i)(token|secret|password|authorization|api[-_]?key)")

_known: set[str] = set()
_lock = threading.Lock()


def remember_secret(secret: str | None) -> None:
    """Mask `secret` in everything redacted from now on (tokens the app reads are registered)."""
    if secret and len(secret) >= _MIN_SECRET_LEN:
        with _lock:
            _known.add(secret)


def forget_secrets() -> None:
    """Drop every remembered secret (tests; a token deleted from the keyring stays masked)."""
    with _lock:
        _known.clear()


def redact(text: str) -> str:
    """`text` with every remembered secret and every credential-shaped value masked."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a longer secret may contain a shorter
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _HEADER.sub(lambda m: f"{m[1]}{m[2]}{m[3] or ''}{MASK}", text)
    return _TOKEN_PARAM.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)


def redact_data(value: Any) -> Any:
    """A JSON-like value with secrets masked: strings redacted, values under secret keys hidden."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: MASK if _is_secret_key(k) and v else redact_data(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_data(v) for v in value)
    return value


def _is_secret_key(key: object) -> bool:
    """`token`, `api_key`, `WAN22_TOKEN_H100`; not `token_ref`, which only names a keyring entry."""
    return isinstance(key, str) and not key.endswith("_ref") and bool(_SECRET_KEY.search(key))


class RedactingFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback) passes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))
