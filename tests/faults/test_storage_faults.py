"""Storage faults (issue #7, item 5): a full disk, a read-only disk, a damaged chats
database, two ParrotChats on one data folder.

The rule throughout: nothing the user wrote or saw is lost, the window says what
failed naming the file and the reason, and it keeps running. The disks are real: a
small tmpfs (mounting needs root; skipped without), a file-size limit (RLIMIT_FSIZE,
works for anyone), a read-only bind mount (or, for a normal user, a folder without
write permission). Run with `-s` for the figures docs/reliability.md quotes.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from gui_helpers import WindowFactory, fast_settings, fill_chat
from pytestqt.qtbot import QtBot

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import load_settings, save_settings
from parrotchat.gui.main import WindowSession

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
LONG_REPLY_TOKENS = 300  # long enough that the disk fills while the reply streams
POSIX_ONLY = pytest.mark.skipif(os.name != "posix", reason="mounts and rlimits are POSIX")


def _child_env() -> dict[str, str]:
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": os.pathsep.join([str(REPO), str(TESTS)]),
    }


def _rows(db: Path) -> list[tuple[str, str, str]]:
    """(role, content, status) of every message, read the way any SQLite tool would."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT role, content, status FROM messages ORDER BY chat_id, position"
        ).fetchall()
    finally:
        conn.close()


def _integrity(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): _digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


@contextmanager
def _small_disk(mount_point: Path, size: str) -> Iterator[Path]:
    """A real, tiny file system (tmpfs) that fills up; skips where mounting is not allowed."""
    mount_point.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazy: a file still open (it should not be) must not leave the mount behind.
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


@contextmanager
def _read_only(folder: Path) -> Iterator[None]:
    """Make `folder` read-only in a way that stops root too (a read-only bind mount);
    a normal user gets a folder tree without write permission instead."""
    if not IS_ROOT:
        dirs = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
        for d in dirs:
            d.chmod(0o555)
        try:
            yield
        finally:
            for d in dirs:
                d.chmod(0o755)
        return
    bind = subprocess.run(["mount", "--bind", str(folder), str(folder)], capture_output=True)
    if bind.returncode != 0:
        pytest.skip(f"cannot bind-mount as root here: {bind.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(folder)], check=True)
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill_disk(folder: Path) -> Path:
    """Write a file until the disk says no space is left; returns it (delete it to free)."""
    filler = folder / "filler.bin"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 16, 1 << 12, 1 << 9):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                continue  # ENOSPC: go on with smaller pieces to fill the last bits
    return filler


def _start_long_reply(session: WindowSession, qtbot: QtBot) -> int:
    """Earlier, saved messages in a chat, then a long reply that is streaming now."""
    chat_id = fill_chat(session.store, 6, title="Parrots")
    session.chats.open_chat(chat_id)
    session.chats.ignore_eos = True  # a reply of a known length: the disk fills mid-stream
    assert session.chats.send("Tell me a long story about parrots.")
    qtbot.waitUntil(
        lambda: (w := session.window.chat_view.streaming_widget) is not None and len(w.text) > 10,
        timeout=30_000,
    )
    return chat_id


# --- 1. the disk fills while a reply streams -------------------------------------------------


@POSIX_ONLY
def test_disk_full_mid_reply_on_a_small_filesystem(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    with _small_disk(tmp_path / "disk", "4m") as disk:
        session = make_window(data_dir=disk, settings=fast_settings(LONG_REPLY_TOKENS))
        window, chats = session.window, session.chats
        db, settings_file = session.paths.chats_db, session.paths.settings_file
        try:
            session.save_settings()  # an earlier settings file, which must survive
            old_settings = settings_file.read_bytes()
            _start_long_reply(session, qtbot)
            ended: list[int] = []  # the engine's last word on the reply (finished or stopped)
            session.engine.replyFinished.connect(lambda req, _stats: ended.append(req))
            session.engine.replyFailed.connect(lambda req, _kind, _msg: ended.append(req))
            saved_before = _rows(db)
            started = time.monotonic()
            filler = _fill_disk(disk)
            qtbot.waitUntil(window.banner.isVisible, timeout=10_000)
            noticed_ms = (time.monotonic() - started) * 1000
            assert window.banner.title_label.text() == "The reply could not be saved"
            detail = window.banner.detail_label.text()
            assert f"{db}: disk full" in detail and "stays on screen" in detail, detail
            # The user stops the reply (whose end the disk refuses too).
            if chats.busy:
                window.composer.send_button.click()
            qtbot.waitUntil(lambda: not chats.busy and bool(ended), timeout=30_000)
            shown = window.chat_view.message_widgets[-1].text
            assert len(shown) > 10, "the reply stays on screen"

            # Nothing already saved is lost, and the file is sound.
            assert _integrity(db) == "ok"
            on_disk = _rows(db)
            assert on_disk[: len(saved_before) - 1] == saved_before[:-1]
            assert shown.startswith(on_disk[-1][1]), "the saved part is what was shown"

            # Settings on the full disk: a clear note, and the old file untouched.
            session.settings.threads = 2  # fast_settings() saved 1
            session.save_settings()
            note = window.statusBar().currentMessage()
            assert note == f"Cannot save {settings_file}: disk full", note
            assert settings_file.read_bytes() == old_settings
            assert not list(settings_file.parent.glob(".settings.json.*")), "a temp file was left"

            # A message typed while the disk is full goes back into the box.
            window.composer.set_text("Are you still there?")
            window.composer.send_button.click()
            assert window.banner.title_label.text() == "Your message could not be saved"
            assert f"{db}: disk full" in window.banner.detail_label.text()
            assert window.composer.text == "Are you still there?"

            # Space comes back: the reply is saved whole without a restart.
            filler.unlink()
            freed = time.monotonic()
            qtbot.waitUntil(
                lambda: _rows(db)[-1] == ("assistant", shown, "complete"), timeout=15_000
            )
            saved_ms = (time.monotonic() - freed) * 1000
            qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=5000)
            session.save_settings()
            assert load_settings(settings_file)[0].threads == 2, "saving settings works again"
            assert _integrity(db) == "ok"
            assert [r[1] for r in _rows(db)][:6] == [r[1] for r in saved_before][:6]
            print(
                f"\ndisk full (tmpfs): banner {noticed_ms:.0f} ms after the disk filled; "
                f"reply on screen {len(shown)} chars, saved {saved_ms:.0f} ms after space "
                f"came back; messages lost: 0; integrity: ok"
            )
        finally:
            session.close()


@POSIX_ONLY
def test_a_full_disk_at_start_still_opens_the_window(
    make_window: WindowFactory, tmp_path: Path
) -> None:
    with _small_disk(tmp_path / "disk", "2m") as disk:
        paths = AppPaths.portable(disk).ensure()
        with ChatStore(paths.chats_db) as store:  # the app was killed mid-reply
            chat_id = fill_chat(store, 4, title="Cut off")
            store.add_message(chat_id, "assistant", "Half a rep", status="streaming")
        filler = _fill_disk(disk)
        session = make_window(data_dir=disk)
        try:
            window = session.window
            assert window.banner.isVisible()
            detail = window.banner.detail_label.text()
            assert f"Chats cannot be saved: the disk holding {paths.data_dir} is full" in detail
            assert "free some space and start ParrotChat again to save" in detail
            assert window.chat_list.chat_ids() == [chat_id], "the chats are there to read"
            session.chats.open_chat(chat_id)
            assert [w.text for w in window.chat_view.message_widgets][-1] == "Half a rep"
        finally:
            session.close()
            filler.unlink()
        with ChatStore(paths.chats_db) as store:  # with space again, the next start marks it
            assert store.recover_interrupted() == 1
            assert store.get_chat(chat_id).messages[-1].content == "Half a rep"
        assert _integrity(paths.chats_db) == "ok"


CHILD_FILE_SIZE_LIMIT = textwrap.dedent(
    """
    import json, os, resource, signal, sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from gui_helpers import fast_settings, fill_chat
    from parrotchat.core.paths import AppPaths
    from parrotchat.gui.main import WindowSession

    # Past the limit a write fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    app = QApplication([])

    def wait(cond, seconds):
        end = time.monotonic() + seconds
        while not cond():
            if time.monotonic() > end:
                raise SystemExit(f"timed out waiting for {cond.__doc__}")
            app.processEvents()
            time.sleep(0.01)

    session = WindowSession.create(
        AppPaths.portable(Path(sys.argv[1])), fast_settings(int(sys.argv[2])), ui_lang="en"
    )
    session.show()
    window, chats = session.window, session.chats
    wait(lambda: session.engine.loaded is not None and session.models.current is not None, 120)
    session.save_settings()
    chat_id = fill_chat(session.store, 6, title="Parrots")
    chats.open_chat(chat_id)
    chats.ignore_eos = True
    chats.send("Tell me a long story about parrots.")
    wait(lambda: (w := window.chat_view.streaming_widget) is not None and len(w.text) > 10, 60)
    db = session.paths.chats_db
    files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
    limit = max(p.stat().st_size for p in files if p.exists())
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    wait(window.banner.isVisible, 10)
    banner = [window.banner.title_label.text(), window.banner.detail_label.text()]
    if chats.busy:
        window.composer.send_button.click()  # the user stops the reply
    wait(lambda: not chats.busy, 30)
    shown = window.chat_view.message_widgets[-1].text
    settings_file = session.paths.settings_file
    old_settings = settings_file.read_bytes()
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))  # below the settings file's size
    session.settings.threads = 2  # fast_settings() saved 1
    session.save_settings()
    settings_note = window.statusBar().currentMessage()
    settings_intact = settings_file.read_bytes() == old_settings
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # the limit is lifted
    wait(lambda: not window.banner.isVisible(), 15)
    print(json.dumps({"banner": banner, "shown": shown, "settings_note": settings_note,
                      "settings_intact": settings_intact, "limit": limit}))
    session.close()
    """
)


@POSIX_ONLY
def test_file_size_limit_mid_reply_in_the_real_app(starter_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "portable"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", CHILD_FILE_SIZE_LIMIT, str(data), str(LONG_REPLY_TOKENS)],
        capture_output=True,
        text=True,
        timeout=240,
        env=_child_env(),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    db = AppPaths.portable(data).chats_db
    title, detail = result["banner"]
    assert title == "The reply could not be saved"
    # SQLite says only "disk I/O error" for EFBIG; the store finds the real reason.
    assert f"{db}: file too large (a file-size limit of" in detail, detail
    assert result["settings_note"].startswith(
        f"Cannot save {AppPaths.portable(data).settings_file}: file too large"
    ), result["settings_note"]
    assert result["settings_intact"]
    rows = _rows(db)
    assert _integrity(db) == "ok"
    assert len(rows) == 8 and [r[0] for r in rows[:6]] == ["user", "assistant"] * 3
    assert rows[-1] == ("assistant", result["shown"], "complete"), "the reply is saved whole"
    print(
        f"\nfile-size limit ({result['limit']:,} bytes) in the real app: reply of "
        f"{len(result['shown'])} chars saved whole once lifted; messages lost: 0; "
        f"run {time.monotonic() - started:.1f} s"
    )


# --- 2. a read-only data folder ---------------------------------------------------------------


@POSIX_ONLY
def test_read_only_data_folder_still_opens_and_chats(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    root = tmp_path / "stick"
    paths = AppPaths.portable(root).ensure()
    with ChatStore(paths.chats_db) as store:
        chat_id = fill_chat(store, 4, title="Old chat")
    save_settings(paths.settings_file, fast_settings())
    before = _snapshot(root)
    with _read_only(root):
        session = make_window(data_dir=root, settings=fast_settings(max_tokens=8))
        window = session.window
        try:
            assert window.banner.isVisible()
            assert window.banner.title_label.text() == "ParrotChat found problems"
            detail = window.banner.detail_label.text()
            reason = "read-only file system" if IS_ROOT else "permission denied"
            assert f"Chats cannot be saved: cannot write in {paths.data_dir} ({reason})" in detail
            assert "nothing new is kept after ParrotChat closes" in detail
            assert session.store.memory_only
            assert window.chat_list.chat_ids() == [chat_id], "the old chats are there to read"
            session.chats.open_chat(chat_id)
            assert len(window.chat_view.message_widgets) == 4
            assert session.chats.send("Hello from a read-only disk")
            qtbot.waitUntil(lambda: not session.chats.busy, timeout=60_000)
            widgets = window.chat_view.message_widgets
            assert len(widgets) == 6 and widgets[-1].text.strip(), "the user can still chat"
            assert widgets[-1].status == "complete"
        finally:
            session.close()
        assert _snapshot(root) == before, "nothing on the read-only disk was touched"


@POSIX_ONLY
def test_a_new_read_only_data_folder_is_refused_in_one_line(tmp_path: Path) -> None:
    root = tmp_path / "empty-stick"
    root.mkdir()
    with _read_only(root):
        done = subprocess.run(
            [sys.executable, "-m", "parrotchat", "--data-dir", str(root)],
            capture_output=True,
            text=True,
            timeout=60,
            env=_child_env(),
        )
    reason = "read-only file system" if IS_ROOT else "permission denied"
    assert done.returncode == 1
    assert done.stderr == f"parrotchat: error: Cannot create the folder {root}/config: {reason}\n"


# --- 3. a damaged database at start -----------------------------------------------------------

CHATS, PER_CHAT = 6, 10


def _write_chats(db: Path, killed: bool) -> None:
    """A real database; `killed` leaves its last changes in the -wal, as a kill -9 does."""
    code = textwrap.dedent(
        f"""
        import os, sys
        from parrotchat.core.chats.store import ChatStore
        store = ChatStore(sys.argv[1]).open()
        for i in range({CHATS}):
            chat = store.create_chat(f"chat {{i}}")
            for j in range({PER_CHAT}):
                store.add_message(chat, "user", f"message {{i}}-{{j}} " * 20)
        if {killed}:
            os._exit(0)
        store.close()
        """
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, env=_child_env())


@dataclass(frozen=True)
class Damage:
    name: str
    harm: Callable[[Path, random.Random], None]
    killed: bool = False  # the app was killed: the last changes are in the -wal
    set_aside: bool = True  # the database cannot be read and must be moved aside


def _random_pages(db: Path, rng: random.Random) -> None:
    data = bytearray(db.read_bytes())
    pages = len(data) // 4096
    for page in range(pages // 3, pages // 3 + 3):
        data[page * 4096 : (page + 1) * 4096] = rng.randbytes(4096)
    db.write_bytes(bytes(data))


def _garbage(suffix: str, size: int) -> Callable[[Path, random.Random], None]:
    def harm(db: Path, rng: random.Random) -> None:
        Path(f"{db}{suffix}").write_bytes(rng.randbytes(size))

    return harm


DAMAGES = [
    Damage("random bytes over pages in the middle", _random_pages),
    Damage("cut to 60%", lambda db, _: os.truncate(db, db.stat().st_size * 6 // 10)),
    Damage("cut inside the header", lambda db, _: os.truncate(db, 50)),
    Damage("zeroed header", lambda db, _: db.write_bytes(bytes(100) + db.read_bytes()[100:])),
    Damage("garbage -wal next to a good db", _garbage("-wal", 50_000), set_aside=False),
    Damage("garbage -shm, real -wal", _garbage("-shm", 32_768), killed=True, set_aside=False),
    Damage(
        "garbage -wal and -shm",
        lambda db, rng: (_garbage("-wal", 50_000)(db, rng), _garbage("-shm", 32_768)(db, rng)),
        set_aside=False,
    ),
]


def test_damaged_databases_at_start(
    make_window: WindowFactory, qtbot: QtBot, tmp_path: Path
) -> None:
    rng = random.Random(5)
    tally = {"tried": 0, "started": 0, "set aside, backup intact": 0, "read whole": 0, "lost": 0}
    for damage in DAMAGES:
        root = tmp_path / damage.name.replace(" ", "_")
        paths = AppPaths.portable(root).ensure()
        db = paths.chats_db
        _write_chats(db, damage.killed)
        damage.harm(db, rng)
        harmed = {p.name: p.read_bytes() for p in root.glob("data/chats.sqlite3*")}
        tally["tried"] += 1
        session = make_window(data_dir=root)
        window, chats = session.window, session.chats
        tally["started"] += 1
        try:
            shown = window.banner.detail_label.text() if window.banner.isVisible() else ""
            summaries = window.chat_list.chat_ids()
            count = sum(s.message_count for s in session.store.list_chats())
            if damage.set_aside:
                (kept,) = paths.data_dir.glob("chats.sqlite3.corrupt-*[0-9Z]")
                assert f"The chats database {db} was damaged" in shown, (damage.name, shown)
                assert f"A copy of it is kept as {kept}" in shown, (damage.name, shown)
                assert kept.read_bytes() == harmed["chats.sqlite3"], damage.name
                assert summaries == [] and count == 0
                if damage is DAMAGES[0]:  # the new, empty database works: the user chats on
                    assert chats.send("Still working?")
                    qtbot.waitUntil(lambda: not chats.busy, timeout=60_000)  # noqa: B023
                    assert [r[0] for r in _rows(db)] == ["user", "assistant"]
                tally["set aside, backup intact"] += 1
            else:
                assert "chats database " not in shown, (damage.name, shown)
                assert not list(paths.data_dir.glob("chats.sqlite3.corrupt-*")), damage.name
                assert len(summaries) == CHATS, damage.name
                assert count == CHATS * PER_CHAT, damage.name
                for log in paths.data_dir.glob("chats.sqlite3-wal.corrupt-*"):
                    assert f"log {db}-wal was damaged and is kept as {log}" in shown
                    assert log.read_bytes() == harmed["chats.sqlite3-wal"]
                tally["read whole"] += 1
                tally["lost"] += CHATS * PER_CHAT - count
        finally:
            session.close()
        assert _integrity(db) == "ok"
    print("\ndamaged databases at start: " + ", ".join(f"{k}: {v}" for k, v in tally.items()))
    assert tally["lost"] == 0


# --- 4. two ParrotChats on one data folder ----------------------------------------------------

TURNS = 100  # a turn is a question and its reply: 200 messages per instance

CHILD_INSTANCE = textwrap.dedent(
    f"""
    import json, os, sys, time
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from parrotchat.core.chats.store import ReplyRecorder
    from parrotchat.core.errors import StorageError
    from parrotchat.core.paths import AppPaths
    from parrotchat.core.settings import Settings, save_settings
    from parrotchat.gui.engine_controller import EngineController
    from parrotchat.gui.main import WindowSession

    data, name, go = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    app = QApplication([])
    print("ready", flush=True)
    while not go.exists():  # both open the new, empty folder at the same moment
        time.sleep(0.002)
    # No engine is started: this is about the data folder, written as the window does.
    session = WindowSession.create(
        AppPaths.portable(data), Settings(), engine=EngineController(), ui_lang="en"
    )
    session.window.show()
    store, errors, slowest = session.store, [], 0.0
    for turn in range({TURNS}):
        began = time.perf_counter()
        try:
            if turn % 10 == 0:
                chat = store.create_chat(f"{{name}} chat {{turn // 10}}")
            store.add_message(chat, "user", f"{{name}} question {{turn}}")
            reply = store.add_message(chat, "assistant", "", status="streaming")
            recorder = ReplyRecorder(store, reply, interval_s=0.0)
            for piece in ("Parrots ", "are ", f"birds {{turn}}."):
                recorder.append(piece)
            recorder.finish({{"reply_tokens": 3}})
            if turn % 10 == 9:
                session.window.refresh_chat_list()
                session.settings.threads = turn
                save_settings(session.paths.settings_file, session.settings)
        except StorageError as exc:
            errors.append(str(exc))
        slowest = max(slowest, time.perf_counter() - began)
        app.processEvents()
    banner = session.window.banner.isVisible()
    session.close()
    print(json.dumps({{"errors": errors, "slowest_ms": slowest * 1000, "banner": banner}}))
    """
)


def test_two_instances_on_one_data_folder_both_stay_safe(tmp_path: Path) -> None:
    data = tmp_path / "shared"
    go = tmp_path / "go"
    names = ("first", "second")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD_INSTANCE, str(data), name, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        for name in names
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        started = time.monotonic()
        go.touch()
        outs = [proc.communicate(timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    wall = time.monotonic() - started
    results = []
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and "Traceback" not in err, out + err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for result in results:
        assert result["errors"] == [], "a 'database is locked' (or other) error reached the user"
        assert result["banner"] is False
    db = AppPaths.portable(data).chats_db
    rows = _rows(db)
    assert _integrity(db) == "ok"
    for name in names:
        questions = [c for role, c, _ in rows if role == "user" and c.startswith(f"{name} ")]
        assert questions == [f"{name} question {t}" for t in range(TURNS)]
    replies = [(c, s) for role, c, s in rows if role == "assistant"]
    assert sorted(replies) == sorted(
        (f"Parrots are birds {t}.", "complete") for t in range(TURNS) for _ in names
    )
    assert len(rows) == 2 * 2 * TURNS
    settings, warnings = load_settings(AppPaths.portable(data).settings_file)
    assert warnings == [] and settings.threads == TURNS - 1
    slowest = max(r["slowest_ms"] for r in results)
    print(
        f"\ntwo instances: {len(rows)} of {4 * TURNS} messages present, integrity ok, "
        f"errors shown: 0, slowest turn {slowest:.0f} ms (waiting for the other's write), "
        f"wall {wall:.1f} s"
    )
