"""Bad model files (issue #7 item 3): every file of the corpus in bad_files.py, given to
`parrotchat models import`, to the Models window's import and to the engine's load,
ends in one line that names the file and the reason. Nothing is added to the library,
nothing crashes, and each path still works afterwards (a valid model imports / loads).

Figures (run with -s): "bad files: N tried, K crashed" per path, and the time per file.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from bad_files import Case, build_corpus, build_unloadable, expected_reason, valid_controls
from gui_helpers import WindowFactory
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from pytestqt.qtbot import QtBot

from parrotchat.core.paths import AppPaths
from parrotchat.engine.calls import (
    EngineFailure,
    load_model,
    stream_chat,
)
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token

CLI_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return build_corpus(tmp_path_factory.mktemp("bad-files"))


@pytest.fixture(scope="module")
def controls(tmp_path_factory: pytest.TempPathFactory) -> list[Case]:
    return valid_controls(tmp_path_factory.mktemp("controls"))


def shown(path: Path | str) -> str:
    """A path as a one-line message can show it: undecodable bytes as \\udcXX escapes."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def problem_with(
    message: str, name: str, path: Path | str, reason: str | None = None
) -> str | None:
    """Why `message` is not one clear line naming `path` and the reason for `name`."""
    prefix = f"{shown(path)}: "
    reason = reason or expected_reason(name)
    if "\n" in message or "Traceback" in message:
        return f"not one line: {message!r}"
    if not message.startswith(prefix):
        return f"does not start with the file ({prefix!r}): {message!r}"
    if not re.fullmatch(f".*{reason}.*", message[len(prefix) :]):
        return f"reason does not match {reason!r}: {message!r}"
    return None


def tree(folder: Path) -> list[str]:
    """Everything under `folder`, hidden files and temporary copies included."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- the CLI ---------------------------------------------------------------------------------

# Runs `main()` of `python -m parrotchat` once per case in one process (a process start per
# case would cost ~1 s each on the CI machine); a sample also goes through the real entry.
_DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, os, sys, time, traceback
    from pathlib import Path
    from parrotchat.app import main
    from parrotchat.core.paths import AppPaths

    home, cases_file, out_file = sys.argv[1:4]
    models = AppPaths.resolve(home).ensure().models_dir
    results = []
    for name, path, extra in json.loads(Path(cases_file).read_text("ascii")):
        err, out = io.StringIO(), io.StringIO()
        began = time.perf_counter()
        crash = None
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                rc = main(["--data-dir", home, "models", "import", path, *extra])
        except BaseException:
            rc, crash = None, traceback.format_exc()
        ms = (time.perf_counter() - began) * 1000
        library = sorted(str(p.relative_to(models)) for p in models.rglob("*"))
        results.append(dict(name=name, path=path, extra=extra, rc=rc, crash=crash,
                            stderr=err.getvalue(), stdout=out.getvalue(), ms=ms, library=library))
    Path(out_file).write_text(json.dumps(results), "ascii")
    """
)


def parrot(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "parrotchat", "--data-dir", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="backslashreplace",
        # A desktop's UTF-8 locale (CI's C.UTF-8 quietly lets undecodable names through).
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
    )


def cli_problem(name: str, path: Path, rc: int | None, stderr: str) -> str | None:
    if rc in (0, None):
        return f"exit code {rc}"
    lines = stderr.splitlines()
    if len(lines) != 1:
        return f"{len(lines)} lines on stderr: {stderr!r}"
    if not lines[0].startswith("parrotchat: error: "):
        return f"not an error line: {lines[0]!r}"
    return problem_with(lines[0].removeprefix("parrotchat: error: "), name, path)


def test_cli_import_of_every_bad_file_is_one_clear_line(corpus: list[Case], tmp_path: Path) -> None:
    home = tmp_path / "home"
    cases = [(name, str(path), extra) for name, path in corpus for extra in ([], ["--reference"])]
    cases_file, out_file = tmp_path / "cases.json", tmp_path / "results.json"
    cases_file.write_text(json.dumps(cases), "ascii")  # surrogates travel as \\udcXX
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(home), str(cases_file), str(out_file)],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    elapsed = time.perf_counter() - began
    assert done.returncode == 0, f"the CLI process died ({done.returncode}): {done.stderr[-3000:]}"
    results = json.loads(out_file.read_text("ascii"))
    assert len(results) == len(cases)
    problems: list[str] = []
    crashed = 0
    for r in results:
        mode = "reference" if r["extra"] else "copy"
        if r["crash"] is not None:
            crashed += 1
            problems.append(f"{r['name']} ({mode}): CRASHED\n{r['crash']}")
            continue
        problem = cli_problem(r["name"], Path(r["path"]), r["rc"], r["stderr"])
        if problem is None and r["stdout"]:
            problem = f"printed on stdout: {r['stdout']!r}"
        if problem is None and r["library"]:
            problem = f"left in the library: {r['library']}"
        if problem is not None:
            problems.append(f"{r['name']} ({mode}): {problem}")
    slowest = max(results, key=lambda r: r["ms"])
    print(
        f"\nCLI: bad files: {len(corpus)} tried (x2: copy and --reference), {crashed} crashed, "
        f"{len(problems)} unclear; {elapsed:.1f} s in all, median "
        f"{sorted(r['ms'] for r in results)[len(results) // 2]:.1f} ms per import, slowest "
        f"{slowest['ms']:.0f} ms ({slowest['name']})"
    )
    assert not problems, "\n".join(problems)
    assert tree(AppPaths.portable(home).models_dir) == []


_REAL_ENTRY_SAMPLE = (
    "0-byte file",
    "folder named x.gguf",
    "symlink loop",
    "FIFO",
    "non-UTF-8 file name",
    "version 0",
    "array length 2**64-1",
    "tensors overlap",
    "truncated at 10/",
)


def test_real_entry_point_sample_and_controls(
    corpus: list[Case], controls: list[Case], tmp_path: Path
) -> None:
    """`python -m parrotchat` itself: bad files fail with one line; valid ones import
    (GGUF v2 and v3, and a valid model whose file name is not UTF-8)."""
    sample = [
        next(c for c in corpus if c[0].startswith(prefix))
        for prefix in _REAL_ENTRY_SAMPLE
        if any(c[0].startswith(prefix) for c in corpus)
    ]
    assert len(sample) >= len(_REAL_ENTRY_SAMPLE) - (sys.platform == "win32")
    home = tmp_path / "home"
    AppPaths.portable(home).ensure()
    began = time.perf_counter()
    bad = [(name, path, parrot(home, "models", "import", str(path))) for name, path in sample]
    odd_name = tmp_path / os.fsdecode(b"valid-\xe9t\xe9.gguf")  # Latin-1, not UTF-8
    odd_name.write_bytes(controls[0][1].read_bytes())
    valid = [*controls, ("valid model, non-UTF-8 file name", odd_name)]
    good = [
        (
            f"{name} ({'in place' if extra else 'copy'})",
            parrot(tmp_path / f"good-{i}-{len(extra)}", "models", "import", str(path), *extra),
        )
        for i, (name, path) in enumerate(valid)
        for extra in ([], ["--reference"])
    ]
    problems = []
    for name, path, proc in bad:
        _, stderr = proc.communicate(timeout=CLI_TIMEOUT_S)
        problem = cli_problem(name, path, proc.returncode, stderr)
        if problem is not None:
            problems.append(f"{name}: {problem}")
    for name, proc in good:
        stdout, stderr = proc.communicate(timeout=CLI_TIMEOUT_S)
        if proc.returncode != 0 or "Imported " not in stdout or stderr:
            problems.append(f"{name}: exit code {proc.returncode}, {stdout!r}, {stderr!r}")
    print(
        f"\nCLI (python -m parrotchat): bad files: {len(bad)} tried, "
        f"{sum(p.returncode < 0 for _, _, p in bad)} crashed; {len(good)} valid imports; "
        f"{time.perf_counter() - began:.1f} s"
    )
    assert not problems, "\n".join(problems)
    assert tree(AppPaths.portable(home).models_dir) == []
    # Each imported model is listed (the starter, then it), by copy and in place.
    for i in range(len(valid)):
        for extra in ([], ["--reference"]):
            listing = parrot(tmp_path / f"good-{i}-{len(extra)}", "models", "list")
            stdout, stderr = listing.communicate(timeout=CLI_TIMEOUT_S)
            assert listing.returncode == 0 and not stderr, stderr
            assert len(stdout.splitlines()) == 2, stdout


# --- the Models window -------------------------------------------------------------------------


def as_qt_sees_it(path: Path) -> str:
    """The path a drop or the file dialog gives for `path` (Qt reads names as UTF-8)."""
    # A file manager drops file:// URLs with the name's bytes percent-encoded.
    return QUrl("file://" + urllib.parse.quote(os.fsencode(path))).toLocalFile()


def _answer(copy: bool) -> Callable[[str], bool | None]:
    """The user's answer to "copy into the library, or use it where it is?"."""
    return lambda path: copy


def test_gui_import_of_every_bad_file_shows_why_and_adds_nothing(
    make_window: WindowFactory, qtbot: QtBot, corpus: list[Case], controls: list[Case]
) -> None:
    session = make_window()
    tab = session.window.open_models().library
    qtbot.waitUntil(lambda: tab.table.rowCount() >= 1, timeout=10_000)
    models_before = [m.path for m in session.models.models]
    rows_before = tab.table.rowCount()
    files_before = tree(session.paths.models_dir)
    problems: list[str] = []
    times: list[float] = []
    for copy in (True, False):
        tab.ask_copy = _answer(copy)
        for name, path in corpus:
            began = time.perf_counter()
            # The call the Import button's file dialog makes with the chosen path, as Qt
            # hands it over (it decodes a name that is not UTF-8 with U+FFFD).
            qt_path = as_qt_sees_it(path)
            tab.import_path(qt_path)
            try:
                qtbot.waitUntil(tab.import_button.isEnabled, timeout=10_000)
            except AssertionError:
                problems.append(f"{name}: no answer in 10 s ({tab.message.text()!r})")
                continue
            times.append((time.perf_counter() - began) * 1000)
            problem = problem_with(
                tab.message.text(),
                name,
                qt_path,
                None
                if qt_path == str(path)
                else r"does not exist \(its file name is not valid UTF-8",
            )
            if problem is None and tab.progress.isVisible():
                problem = "the progress bar stays"
            if problem is not None:
                problems.append(f"{name} ({'copy' if copy else 'in place'}): {problem}")

    # A drop goes through dropEvent: a sample of the things a file manager can drop.
    for name, path in corpus:
        if name not in ("folder named x.gguf", "0-byte file", "symlink loop", "FIFO (named pipe)"):
            continue
        tab.ask_copy = _answer(True)
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        enter = QDragEnterEvent(
            QPointF(5, 5).toPoint(),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        tab.dragEnterEvent(enter)
        assert enter.isAccepted(), name
        tab.dropEvent(
            QDropEvent(
                QPointF(5, 5),
                Qt.DropAction.CopyAction,
                mime,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            )
        )
        qtbot.waitUntil(tab.import_button.isEnabled, timeout=10_000)
        problem = problem_with(tab.message.text(), name, path)
        if problem is not None:
            problems.append(f"{name} (dropped): {problem}")

    tried = 2 * len(corpus)
    # "0 crashed" holds by construction: the window runs in this process, so a crash
    # would end the test run instead of printing this.
    print(
        f"\nGUI: bad files: {len(corpus)} tried (x2: copy and in place, plus drops), "
        f"0 crashed, {len(problems)} unclear; median {sorted(times)[len(times) // 2]:.0f} ms, "
        f"slowest {max(times):.0f} ms per import"
    )
    assert not problems, "\n".join(problems)
    assert len(times) == tried
    assert [m.path for m in session.models.models] == models_before
    assert tab.table.rowCount() == rows_before
    assert tree(session.paths.models_dir) == files_before

    # Still working: a valid model imports, and the window's chat still answers.
    tab.ask_copy = _answer(True)
    tab.import_path(str(controls[0][1]))
    qtbot.waitUntil(lambda: tab.table.rowCount() == rows_before + 1, timeout=20_000)
    assert tab.message.text() == f"Imported {controls[0][1].stem}."  # shown by its file name
    chunks: list[str] = []
    session.chats.replyChunk.connect(chunks.append)
    session.window.composer.set_text("Say hello.")
    session.window.composer.send_button.click()
    qtbot.waitUntil(lambda: not session.chats.busy and bool(chunks), timeout=60_000)
    assert "".join(chunks).strip()


# --- the engine --------------------------------------------------------------------------------


@pytest.fixture
def engine() -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    yield client
    client.close()


def test_engine_load_of_every_bad_file_is_an_error_event_not_a_dead_engine(
    engine: EngineClient, corpus: list[Case], controls: list[Case]
) -> None:
    problems: list[str] = []
    crashed = 0
    times: list[float] = []
    for name, path in corpus:
        pid = engine.pid
        began = time.perf_counter()
        try:
            load_model(engine, LoadRequest(path=str(path), n_ctx=256, threads=1))
        except EngineFailure as e:
            times.append((time.perf_counter() - began) * 1000)
            if e.kind == "crashed" or not engine.is_alive():
                crashed += 1
                problems.append(f"{name}: the engine died: {e}")
                engine.start()
                continue
            problem = problem_with(str(e), name, path)
            if e.kind != "load_failed":
                problem = f"error kind {e.kind!r}: {e}"
            if problem is not None:
                problems.append(f"{name}: {problem}")
        else:
            problems.append(f"{name}: loaded")
        if engine.pid != pid:
            problems.append(f"{name}: the engine was replaced")
    print(
        f"\nengine: bad files: {len(corpus)} tried, {crashed} crashed, {len(problems)} unclear; "
        f"median {sorted(times)[len(times) // 2]:.1f} ms per refused load"
    )
    assert not problems, "\n".join(problems)
    # The same engine process still loads a model and answers.
    for _, good in controls:
        load_model(engine, LoadRequest(path=str(good), n_ctx=256, threads=1))
    reply = list(
        stream_chat(
            engine,
            ChatRequest(
                messages=[{"role": "user", "content": "hi"}],
                sampling={"max_tokens": 4},
                ignore_eos=True,  # random weights may end the reply at once
            ),
        )
    )
    assert isinstance(reply[-1], Done) and any(isinstance(e, Token) for e in reply)


def test_engine_refuses_files_only_llama_cpp_can_judge_and_stays_up(
    engine: EngineClient, tmp_path: Path
) -> None:
    """A sound header, nonsense inside (no heads, a missing tensor...): import cannot
    tell, llama.cpp refuses at load. The error names the file and llama.cpp's reason."""
    pid = engine.pid
    problems: list[str] = []
    for name, path, reason in build_unloadable(tmp_path):
        try:
            load_model(engine, LoadRequest(path=str(path), n_ctx=256, threads=1))
        except EngineFailure as e:
            message = str(e)
            print(f"\n{name}: {message}")
            expected = f"Model {path.name} could not be loaded: "
            if e.kind != "load_failed" or not message.startswith(expected):
                problems.append(f"{name}: {e.kind}: {message!r}")
            elif not re.search(reason, message[len(expected) :]) or "\n" in message:
                problems.append(f"{name}: not one line with {reason!r}: {message!r}")
        else:
            problems.append(f"{name}: loaded")
        if not engine.is_alive() or engine.pid != pid:
            problems.append(f"{name}: the engine died")
            engine.start()
            pid = engine.pid
    assert not problems, "\n".join(problems)
