"""Auth tokens of remote backends, kept in the OS keyring, never in settings.

A backend's spec names its token by `token_ref`; `TokenStore` maps that name to the secret in
the OS keyring (Windows Credential Manager, macOS Keychain, the freedesktop Secret Service). A
headless machine often has no keyring: there the token is read from `WAN22_TOKEN_<REF>` and
saving one fails with words that say so, instead of falling back to a plain-text file.
Every token read is remembered by `core.base.redact`, so logs and reports mask it.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
from typing import Any, Mapping

from wan22_gui.core.base.errors import InputError
from wan22_gui.core.base.redact import remember_secret

log = logging.getLogger("wan22.backends")

SERVICE = "wan22-studio"  # the keyring's service name: one entry per token_ref under it
_SYSTEM: Any = object()  # TokenStore's default: the OS keyring


class NoKeyring(InputError):
    """No OS keyring can store a token here (headless, or the keyring package is missing)."""


def env_name(ref: str) -> str:
    """`h100 (rented)` -> `WAN22_TOKEN_H100__RENTED_`: the fallback variable for one token."""
    return "WAN22_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", ref.upper())


def _system_keyring() -> Any | None:
    """The keyring module when a real backend is available, else None."""
    try:  # by name: the app runs (with the environment fallback) where keyring is missing
        keyring = importlib.import_module("keyring")
        fail = importlib.import_module("keyring.backends.fail")
    except ImportError:
        return None
    # the "fail" backend is what keyring picks when no store exists on this machine
    return None if isinstance(keyring.get_keyring(), fail.Keyring) else keyring


class TokenStore:
    """get/set/delete of a backend's token by its reference name.

    `keyring` is anything with keyring's get_password/set_password/delete_password functions
    (tests pass an in-memory one); the default is the OS keyring, or None when there is none.
    """

    def __init__(self, keyring: Any = _SYSTEM, env: Mapping[str, str] | None = None) -> None:
        self._keyring = _system_keyring() if keyring is _SYSTEM else keyring
        self._env = os.environ if env is None else env

    @property
    def has_keyring(self) -> bool:
        return self._keyring is not None

    def get(self, ref: str) -> str | None:
        """The token for `ref`: the keyring's, else `WAN22_TOKEN_<REF>`, else None."""
        token = self._from_keyring(ref) or self._env.get(env_name(ref)) or None
        remember_secret(token)
        return token

    def set(self, ref: str, token: str) -> None:
        """Save `token` under `ref` in the OS keyring (NoKeyring when there is none)."""
        if not ref or not token:
            raise InputError("A token needs a name and a value.", "Type both, then save.")
        remember_secret(token)
        if self._keyring is None:
            raise self._no_keyring(ref)
        try:
            self._keyring.set_password(SERVICE, ref, token)
        except Exception as exc:  # a locked or broken keyring (keyring.errors.KeyringError)
            raise NoKeyring(f"The system keyring did not save the token: {exc}",
                            "Unlock the keyring and try again, or set the environment "
                            f"variable {env_name(ref)}.") from exc

    def delete(self, ref: str) -> None:
        """Remove `ref`'s token from the keyring (nothing happens when it holds none)."""
        # keyring raises PasswordDeleteError for a missing entry; asking first avoids it
        if self._keyring is not None and self._keyring.get_password(SERVICE, ref) is not None:
            self._keyring.delete_password(SERVICE, ref)

    def _from_keyring(self, ref: str) -> str | None:
        if self._keyring is None:
            return None
        try:
            return self._keyring.get_password(SERVICE, ref)
        except Exception as exc:  # a locked keyring: the environment may still have it
            log.warning("cannot read token %r from the system keyring: %s", ref, exc)
            return None

    def _no_keyring(self, ref: str) -> NoKeyring:
        return NoKeyring(
            "No system keyring is available here, so the token was not saved "
            "(the app never writes tokens to its settings in plain text).",
            f"Set the environment variable {env_name(ref)} to the token before starting the "
            "app, or install a keyring service (on Linux: gnome-keyring or KWallet).")
