"""Secrets in the operating system's credential store, through `keyring` (its one importer).

macOS Keychain, Windows Credential Locker and the Secret Service (GNOME Keyring,
KWallet) are all reached through keyring. Where none is usable (a headless Linux box,
a locked-down image) keyring falls back to a backend that refuses every call; then
`backend()` is None and the caller keeps the secret elsewhere (core/servers.py keeps it
in its owner-only file) and says so.

keyring is imported on first use: finding its backends scans entry points, which
the window's start need not pay for.
"""

from __future__ import annotations

import contextlib
from typing import Any

SERVICE = "ParrotChat"


def _keyring() -> Any:
    import keyring

    return keyring


class CredentialStore:
    """Get, set and delete secrets under one service name."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._backend: Any = None

    def _usable_backend(self) -> Any:
        if self._backend is None:
            from keyring.backends import fail, null

            backend = _keyring().get_keyring()
            # fail.Keyring raises on every call; null.Keyring silently forgets.
            usable = not isinstance(backend, (fail.Keyring, null.Keyring))
            self._backend = backend if usable else False
        return self._backend or None

    def backend(self) -> str | None:
        """The usable backend's name ("SecretService Keyring", "macOS Keyring"), else None."""
        backend = self._usable_backend()
        if backend is None:
            return None
        name = getattr(type(backend), "name", None) or type(backend).__name__
        return str(name)

    def get(self, account: str) -> str | None:
        backend = self._usable_backend()
        if backend is None:
            return None
        try:
            value = backend.get_password(self.service, account)
        except Exception:  # a locked or broken store: the caller reports the key as missing
            return None
        return str(value) if value is not None else None

    def set(self, account: str, secret: str) -> bool:
        """Store `secret`; False where no store is usable or it refused (locked, denied)."""
        backend = self._usable_backend()
        if backend is None:
            return False
        try:
            backend.set_password(self.service, account, secret)
        except Exception:  # keyring's errors vary by backend; any refusal means "not stored"
            return False
        return True

    def delete(self, account: str) -> None:
        backend = self._usable_backend()
        if backend is None:
            return
        # Already gone, or the store refuses: nothing is left to do here either way.
        with contextlib.suppress(Exception):
            backend.delete_password(self.service, account)
