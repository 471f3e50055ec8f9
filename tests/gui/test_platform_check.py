"""Before Qt starts: the one-line reasons a window cannot open."""

from __future__ import annotations

import pytest

from parrotchat.gui import platform_check


def test_debian_package_names() -> None:
    assert platform_check.debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert platform_check.debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"
    assert platform_check.debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"


def test_no_display_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    problem = platform_check.platform_problem()
    assert problem is not None and "\n" not in problem and "DISPLAY" in problem


def test_missing_xcb_libraries_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")

    def fail(_path: str) -> None:
        raise OSError("libxcb-cursor.so.0: cannot open shared object file")

    monkeypatch.setattr("ctypes.CDLL", fail)
    monkeypatch.setattr(
        platform_check, "_missing_libraries", lambda _p: ["libxcb-cursor.so.0", "libxcb-icccm.so.4"]
    )
    problem = platform_check.platform_problem()
    assert problem is not None and "\n" not in problem
    assert "libxcb-cursor0 libxcb-icccm4" in problem


def test_this_binding_is_sound() -> None:
    assert platform_check.binding_problem() is None
