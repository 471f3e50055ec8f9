"""write_atomic and move_aside on real files; failures forced with real OS limits."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from parrotchat.core.atomic_file import move_aside, os_error_reason, write_atomic
from parrotchat.core.errors import StorageError

REPO = Path(__file__).resolve().parents[3]
POSIX = os.name == "posix"


def test_writes_text_as_utf8_and_bytes_as_is(tmp_path: Path) -> None:
    target = tmp_path / "note.txt"
    write_atomic(target, "안녕하세요\n")
    assert target.read_bytes() == "안녕하세요\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert [p.name for p in tmp_path.iterdir()] == ["note.txt"]  # no temp files left


@pytest.mark.skipif(not POSIX, reason="POSIX permission bits")
def test_new_file_is_private_and_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.json"
    write_atomic(fresh, "{}")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    shared = tmp_path / "shared.json"
    shared.write_text("old")
    shared.chmod(0o644)
    write_atomic(shared, "new")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644


def test_missing_folder_is_a_storage_error(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "file.json"
    with pytest.raises(StorageError, match=r"file\.json: folder does not exist"):
        write_atomic(target, "x")


@pytest.mark.skipif(not POSIX or os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_leaves_the_original(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_text("original")
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StorageError, match="permission denied"):
            write_atomic(target, "replacement")
    finally:
        tmp_path.chmod(0o700)
    assert target.read_text() == "original"


@pytest.mark.skipif(not POSIX, reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
def test_a_failing_write_leaves_the_original_intact(tmp_path: Path) -> None:
    """A file-size limit makes the write fail part-way, the way a full disk does."""
    target = tmp_path / "settings.json"
    target.write_text("original content")
    child = textwrap.dedent(
        """
        import resource, signal, sys
        from parrotchat.core.atomic_file import write_atomic
        from parrotchat.core.errors import StorageError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of dying
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_atomic(sys.argv[1], "x" * 100_000)
        except StorageError as exc:
            print(exc)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", child, str(target)],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=True,
    ).stdout
    assert out.strip() == f"Cannot save {target}: file too large"
    assert target.read_text() == "original content"
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_reasons_are_words_a_user_understands() -> None:
    assert os_error_reason(OSError(errno.ENOSPC, "No space left on device")) == "disk full"
    assert os_error_reason(OSError(errno.EACCES, "Permission denied")) == "permission denied"
    assert os_error_reason(OSError(errno.EIO, "Input/output error")) == "Input/output error"


def test_move_aside_keeps_the_file_under_a_new_name(tmp_path: Path) -> None:
    damaged = tmp_path / "settings.json"
    damaged.write_text("{broken")
    first = move_aside(damaged)
    damaged.write_text("{broken again")
    second = move_aside(damaged)
    assert first != second
    assert first.name.startswith("settings.json.corrupt-")
    assert second.name.startswith("settings.json.corrupt-")
    assert first.read_text() == "{broken"
    assert second.read_text() == "{broken again"
    assert not damaged.exists()
