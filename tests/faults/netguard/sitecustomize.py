"""Loaded by every Python process started with this folder on PYTHONPATH (no-network runs).

Any attempt to reach the network (a connect to anything but a Unix socket, a name
lookup, a datagram) is written to $PARROTCHAT_NETGUARD_LOG and refused, so a test
run proves not only that the app works without a network but that it never tried.
The engine process inherits PYTHONPATH, so it is guarded too.
"""

from __future__ import annotations

import errno
import os
import socket
import traceback
from typing import Any

_LOG = os.environ.get("PARROTCHAT_NETGUARD_LOG", "")


def _refuse(what: str, target: Any) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(f"pid {os.getpid()}: {what} {target!r}\n")
            f.write("".join(traceback.format_stack(limit=12)) + "\n")
    raise OSError(errno.ENETUNREACH, f"network use during a no-network run: {what} {target!r}")


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if self.family != socket.AF_UNIX:
        _refuse("connect", address)
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if self.family != socket.AF_UNIX:
        _refuse("connect_ex", address)
    return _connect_ex(self, address)


def _guarded_sendto(self: socket.socket, *args: Any) -> int:
    if self.family != socket.AF_UNIX:
        _refuse("sendto", args[-1])
    return _sendto(self, *args)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    _refuse("getaddrinfo", host)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.socket.sendto = _guarded_sendto  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _guarded_getaddrinfo
