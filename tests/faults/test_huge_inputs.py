"""Huge inputs (issue #7 item 7): a 5 MB paste, a 100,000-message chat, a 1 MB reply.

Every test drives the real window offscreen (and, where a model answers, the real
engine on the starter model), measures the longest GUI-thread stall with a
heartbeat (a 5 ms timer on the GUI thread: its longest gap is the longest time the
window could not respond), and the growth of the app's resident memory. Both are
printed (run with -s) for docs/reliability.md; tests/benchmarks/huge_input_figures.py
collects them and holds the stall to the issue's goal of 100 ms. The tests themselves
hold only what a freeze breaks on any machine, however busy (1 s of the app's own
stall, 3 s of wall clock), and memory to a generous multiple of the input.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

import psutil
from gui_helpers import WindowFactory, fast_settings, fill_chat
from PySide6.QtCore import QElapsedTimer, QMimeData, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from parrotchat.core.chats.context_budget import fit_messages
from parrotchat.core.chats.store import ChatStore, ReplyRecorder
from parrotchat.gui.chat.chat_view import PAGE
from parrotchat.gui.chat.code_block import CodeBlock
from parrotchat.gui.chat.markdown_blocks import FOLD_CHARS, PAGE_BLOCKS, page_end, split_page
from parrotchat.gui.fitted_text import FittedTextView
from parrotchat.gui.main import WindowSession

MB = 1024 * 1024
STALL_GOAL_MS = 100.0  # the goal for the app's own stall: printed, benchmarked
FREEZE_MS = 1000.0  # the app's own stall that fails a test: a freeze, not a slow machine
HANG_MS = 3000.0  # a wall-clock gap this long fails even on the busiest machine
HEARTBEAT_MS = 5
USER_PAUSE_MS = 50  # between two actions of the user, the event loop runs
_PROCESS = psutil.Process()
_SCHEDSTAT = Path("/proc/thread-self/schedstat")  # Linux: the thread's run-queue wait


def _rss_mb() -> float:
    gc.collect()
    return _PROCESS.memory_info().rss / MB


def _queue_wait_ns() -> int:
    """Nanoseconds this thread has spent ready to run but waiting for a CPU (0: unknown)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class StallMeter:
    """The longest gap between beats of a 5 ms GUI-thread timer while it runs.

    A gap is the time the window could not respond. On a machine shared with other
    work part of it is spent waiting for a CPU (the kernel counts it per thread);
    the rest, the app's own stall (its work on the GUI thread, its waits for the
    disk), is what the 100 ms goal is about. Both are printed.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.gaps: list[float] = []  # wall clock, ms
        self.own: list[float] = []  # wall clock less the wait for a CPU, ms
        self.cpu: list[float] = []  # GUI-thread CPU time, ms
        self._clock = QElapsedTimer()
        self._last = (0, 0.0, 0)
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(self._beat)
        self.rss_before = 0.0
        self.peak_rss = 0.0

    def _beat(self) -> None:
        now = (self._clock.nsecsElapsed(), time.thread_time(), _queue_wait_ns())
        wall = (now[0] - self._last[0]) / 1e6
        self.gaps.append(wall)
        self.own.append(max(0.0, wall - (now[2] - self._last[2]) / 1e6))
        self.cpu.append((now[1] - self._last[1]) * 1000)
        self._last = now
        if len(self.gaps) % 20 == 0:
            self.peak_rss = max(self.peak_rss, _PROCESS.memory_info().rss / MB)

    def __enter__(self) -> StallMeter:
        self.rss_before = _rss_mb()
        self.peak_rss = self.rss_before
        self._clock.start()
        self._last = (0, time.thread_time(), _queue_wait_ns())
        self._timer.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._timer.stop()
        self.peak_rss = max(self.peak_rss, _rss_mb())

    @property
    def max_ms(self) -> float:
        return max(self.gaps, default=0.0)

    @property
    def own_max_ms(self) -> float:
        return max(self.own, default=0.0)

    @property
    def rss_growth_mb(self) -> float:
        return self.peak_rss - self.rss_before

    def _worst(self, values: list[float]) -> str:
        top = sorted(range(len(values)), key=values.__getitem__)[-3:]
        at = [sum(self.gaps[:i]) / 1000 for i in top]
        return ",".join(
            f"{self.gaps[i]:.0f}/{self.own[i]:.0f}/{self.cpu[i]:.0f}@{t:.2f}s"
            for i, t in reversed(list(zip(top, at, strict=True)))
        )

    def report(self, **figures: object) -> None:
        extra = "".join(f" {k}={v}" for k, v in figures.items())
        print(
            f"\n[huge-inputs] {self.name}: own_stall_ms={self.own_max_ms:.1f} "
            f"goal_ms={STALL_GOAL_MS:.0f} "
            f"max_gap_ms={self.max_ms:.1f} rss_growth_mb={self.rss_growth_mb:.1f} "
            f"beats={len(self.gaps)}{extra} worst(wall/own/cpu)={self._worst(self.own)}"
        )

    def check(self, rss_limit_mb: float) -> None:
        assert self.own_max_ms <= FREEZE_MS, (
            f"{self.name}: the GUI thread stalled; worst gaps (wall/own/cpu ms): "
            f"{self._worst(self.own)}"
        )
        assert self.max_ms <= HANG_MS, f"{self.name}: the window hung: {self._worst(self.gaps)}"
        assert self.rss_growth_mb <= rss_limit_mb, (
            f"{self.name}: memory grew {self.rss_growth_mb:.0f} MB (limit {rss_limit_mb} MB)"
        )


def _pasted_log(size: int) -> str:
    """Text the size of a big log file someone pastes: numbered lines, some non-ASCII."""
    line = "2025-03-01 09:30:{:02d} INFO worker-{:05d} 요청 처리 완료 in 12 ms (status=200)\n"
    lines: list[str] = []
    total = 0
    i = 0
    while total < size:
        lines.append(line.format(i % 60, i))
        total += len(lines[-1])
        i += 1
    return "".join(lines)[:size]


def _long_reply(size: int) -> str:
    """A Markdown reply: headings, prose, lists and code, as a model writes them."""
    parts: list[str] = []
    total = 0
    i = 0
    while total < size:
        part = (
            f"## Step {i}\n\nThis step explains part {i} of the plan, with **bold** words and "
            f"`inline code`, long enough to wrap over a few lines in the chat view.\n\n"
            f"- first point about {i}\n- a second point, a little longer than the first\n\n"
            f"```python\ndef step_{i}(x: int) -> int:\n    return x * {i}\n```\n\n"
        )
        parts.append(part)
        total += len(part)
        i += 1
    return "".join(parts)[:size]


def _settle(session: WindowSession, qtbot: QtBot) -> None:
    """Let start-up work end before measuring: the model-library scan (a thread that
    holds Python's lock while it parses GGUF headers), and Pygments' first highlight
    (~50 ms once per language to compile its lexer, whatever the size of the input)."""
    session.models.wait_for_scan(30)
    CodeBlock("x = 1", "python").deleteLater()
    qtbot.wait(100)


def _click_chat(session: WindowSession, chat_id: int, qtbot: QtBot) -> None:
    panel = session.window.chat_list
    row = panel.chat_ids().index(chat_id)
    item = panel.list.item(row)
    rect = panel.list.visualItemRect(item)
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _add_messages(store: ChatStore, chat_id: int, contents: list[str]) -> None:
    """Many messages in one transaction, through the store's own schema (add_message would
    take one transaction each: minutes for 100,000)."""
    conn = sqlite3.connect(store.path)
    try:
        with conn:
            # One branch: each message's parent is the one before it, as add_message does.
            base = conn.execute("SELECT coalesce(max(id), 0) FROM messages").fetchone()[0]
            conn.executemany(
                "INSERT INTO messages (id, chat_id, parent_id, position, role, content, "
                "created_at, status) VALUES (?, ?, ?, ?, ?, ?, '2025-03-01T09:30:00.000Z', "
                "'complete')",
                (
                    (
                        base + i + 1,
                        chat_id,
                        base + i if i else None,
                        i,
                        "user" if i % 2 == 0 else "assistant",
                        text,
                    )
                    for i, text in enumerate(contents)
                ),
            )
            conn.execute(
                "UPDATE chats SET updated_at = '2025-03-02T09:30:00.000Z' WHERE id = ?",
                (chat_id,),
            )
    finally:
        conn.close()


# --- 1. a 5 MB paste ---------------------------------------------------------------------


def test_5mb_paste_is_kept_whole_and_refused_with_a_clear_reason(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window()
    _settle(session, qtbot)
    window = session.window
    edit = window.composer.edit
    text = _pasted_log(5 * MB)
    n_ctx = int(session.engine.loaded["n_ctx"]) if session.engine.loaded else 0
    QGuiApplication.clipboard().setText(text)  # copied in another program
    edit.setFocus()

    with StallMeter("5 MB paste + send") as meter:
        QTest.keySequence(edit, QKeySequence(QKeySequence.StandardKey.Paste))
        qtbot.waitUntil(lambda: not edit.pasting, timeout=10_000)
        assert edit.document().characterCount() == len(text) + 1  # + the final paragraph end
        qtbot.wait(USER_PAUSE_MS)

        # Typing at the end of 5 MB stays instant: each key, and its repaint.
        edit.moveCursor(edit.textCursor().MoveOperation.End)
        keypress_ms: list[float] = []
        for key in [Qt.Key.Key_O, Qt.Key.Key_K, *[Qt.Key.Key_Backspace] * 2]:
            started = time.perf_counter()
            QTest.keyClick(edit, key)
            edit.repaint()
            keypress_ms.append((time.perf_counter() - started) * 1000)
            qtbot.wait(USER_PAUSE_MS)

        started = time.perf_counter()
        QTest.keyClick(edit, Qt.Key.Key_Return)  # Send
        qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=60_000)
        refused_s = time.perf_counter() - started
        qtbot.wait(100)
    meter.report(
        keypress_ms="/".join(f"{ms:.1f}" for ms in keypress_ms), refused_after_s=f"{refused_s:.1f}"
    )

    # The model is told no: the user reads why, with the numbers.
    detail = window.banner.detail_label.text()
    assert "tokens long" in detail and f"context length of {n_ctx}" in detail, detail
    assert not session.chats.busy and window.composer.send_button.text() == "Send"
    # Nothing is lost: all 5 MB are in SQLite and on screen (folded), Copy takes it all.
    chat = session.store.get_chat_tail(session.chats.chat_id or 0, 2)
    assert chat.messages[0].role == "user" and chat.messages[0].content == text
    assert chat.messages[1].status == "error"
    shown = window.chat_view.message_widgets[0]
    assert shown.text == text and shown.folded
    assert shown.fold_bar is not None and f"{len(text):,}" in shown.fold_bar.label.text()
    shown.copy_button.click()
    assert QGuiApplication.clipboard().text() == text
    assert max(keypress_ms) < FREEZE_MS
    meter.check(rss_limit_mb=400)

    # Edit puts all 5 MB back into the box, in chunks like a paste.
    with StallMeter("5 MB back into the box (Edit)") as meter:
        shown.edit_button.click()
        qtbot.waitUntil(lambda: not edit.pasting, timeout=10_000)
        qtbot.wait(USER_PAUSE_MS)
    meter.report()
    assert window.composer.text == text
    window.composer.cancel_edit()
    assert window.composer.text == ""
    meter.check(rss_limit_mb=400)

    # The same paste dropped or inserted as MIME data (drag and drop, middle click).
    mime = QMimeData()
    mime.setText(text)
    with StallMeter("5 MB insertFromMimeData") as meter:
        assert edit.canInsertFromMimeData(mime)
        edit.insertFromMimeData(mime)
        qtbot.waitUntil(lambda: not edit.pasting, timeout=10_000)
        qtbot.wait(50)
    meter.report()
    assert window.composer.text == text
    edit.undo()  # one paste, one undo step
    assert window.composer.text == ""
    meter.check(rss_limit_mb=400)


# --- 2. a 100,000-message chat -----------------------------------------------------------


def test_100k_message_chat_opens_pages_searches_and_replies(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    # max_tokens 1024 keeps half of the 2,048-token context free for the reply: the
    # prompt llama.cpp reads before the first token is ~1,000 tokens, not ~2,000.
    session = make_window(settings=fast_settings(max_tokens=1024))
    _settle(session, qtbot)
    window, view = session.window, session.window.chat_view
    count = 100_000
    contents = [f"Message {i}: a short line about parrots, plans and code." for i in range(count)]
    contents[123] = "Message 123: the kakapo is a flightless parrot."
    huge = session.store.create_chat("Huge chat")
    _add_messages(session.store, huge, contents)
    other = fill_chat(session.store, 4, title="Short chat")
    window.refresh_chat_list()
    assert set(window.chat_list.chat_ids()) == {huge, other}

    with StallMeter("open 100k-message chat") as meter:
        started = time.perf_counter()
        _click_chat(session, huge, qtbot)
        opened_ms = (time.perf_counter() - started) * 1000
        qtbot.waitUntil(lambda: len(view.message_widgets) == PAGE, timeout=30_000)
        qtbot.wait(300)  # layout, paint, the context count coming back
    meter.report(click_to_shown_ms=f"{opened_ms:.1f}")
    assert session.chats.chat_id == huge
    assert view.hidden_older == count - PAGE
    assert view.message_widgets[-1].text == contents[-1]
    meter.check(rss_limit_mb=100)

    # Scrolling up pages in older messages, read from the store as they are reached.
    bar = view.verticalScrollBar()
    pages = 10
    with StallMeter("scroll up 10 pages") as meter:
        for page in range(1, pages + 1):
            bar.setValue(0)
            qtbot.waitUntil(
                lambda p=page: len(view.message_widgets) == (p + 1) * PAGE, timeout=30_000
            )
            qtbot.waitUntil(lambda: bar.value() > 0, timeout=10_000)  # kept in place
    meter.report(widgets=len(view.message_widgets))
    first = (pages + 1) * PAGE
    assert view.hidden_older == count - first
    assert view.message_widgets[0].text == contents[count - first]
    meter.check(rss_limit_mb=150)

    # Search finds the chat by a word in its 124th message, among 100,000.
    panel = window.chat_list
    with StallMeter("search 100k messages") as meter:
        panel.search.setFocus()
        QTest.keyClicks(panel.search, "kakapo")
        qtbot.waitUntil(
            lambda: [chat for chat, _ in panel.results.results()] == [huge], timeout=30_000
        )
        panel.search.clear()
        qtbot.waitUntil(lambda: not panel.showing_results, timeout=30_000)
        assert len(panel.chat_ids()) == 2
    meter.report()
    meter.check(rss_limit_mb=50)

    # A new message: the engine fits the newest turns into the context, and says so.
    final_stats: list[dict[str, object]] = []
    session.chats.replyStatsUpdated.connect(lambda _id, stats: final_stats.append(stats))
    window.composer.set_text("What did I say about the kakapo?")
    with StallMeter("send in 100k-message chat") as meter:
        started = time.perf_counter()
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: (w := view.streaming_widget) is not None and bool(w.text), timeout=120_000
        )
        first_token_s = time.perf_counter() - started
        QTest.keyClick(window.composer.edit, Qt.Key.Key_Escape)  # enough: Stop
        qtbot.waitUntil(lambda: bool(final_stats), timeout=60_000)  # the engine's last word
        qtbot.wait(100)
    stored = session.store.get_chat_tail(huge, 1).messages[0]
    stats = stored.stats or {}
    # The engine's time to the first token, less reading the prompt (llama.cpp's
    # prefill of a full context: seconds on two busy cores, whatever the chat's length):
    # what fitting its last 2,048 messages into the context cost.
    fitting_s = float(stats.get("ttft_s", 0)) - float(stats.get("prefill_s", 0))
    meter.report(
        first_token_s=f"{first_token_s:.2f}",
        fitting_s=f"{fitting_s:.2f}",
        prefill_s=f"{float(stats.get('prefill_s', 0)):.2f}",
        prompt_tokens=stats.get("prompt_tokens"),
        dropped=stats.get("dropped_messages"),
    )
    reply = view.message_widgets[-1]
    assert reply.role == "assistant" and reply.status == "complete" and reply.text
    assert "oldest messages left out" in reply.stats_label.text(), reply.stats_label.text()
    assert stored.content == reply.text
    assert stats["dropped_messages"] > count - 2048, "every left-out message is counted"
    # Quadratic fitting took hours; the figure (21 ms idle) is printed above.
    assert fitting_s < 30, "fitting the context is not quadratic in the chat's length"
    meter.check(rss_limit_mb=100)


# --- 3. a 1 MB reply ----------------------------------------------------------------------

CHUNK_CHARS = 16  # about four tokens
CHUNKS_PER_S = 4000


def test_1mb_reply_streams_and_reopens_without_freezing(
    make_window: WindowFactory, qtbot: QtBot
) -> None:
    session = make_window(wait_model=False)
    _settle(session, qtbot)
    window, view, store = session.window, session.window.chat_view, session.store
    text = _long_reply(1 * MB)
    chunks = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
    chat_id = store.create_chat("One long reply")
    store.add_message(chat_id, "user", "Write the whole plan, every step.")
    window.refresh_chat_list()
    _click_chat(session, chat_id, qtbot)
    message_id = store.add_message(chat_id, "assistant", "", status="streaming")
    recorder = ReplyRecorder(store, message_id)

    # What ChatController._on_token does for each piece: record it, show it.
    sent = [0]
    clock = QElapsedTimer()

    def produce() -> None:
        due = min(len(chunks), int(clock.elapsed() * CHUNKS_PER_S / 1000))
        for chunk in chunks[sent[0] : due]:
            recorder.append(chunk)
            view.append_reply(chunk)
        sent[0] = max(sent[0], due)

    producer = QTimer()
    producer.setTimerType(Qt.TimerType.PreciseTimer)
    producer.setInterval(1)
    producer.timeout.connect(produce)
    with StallMeter("stream 1 MB reply") as meter:
        view.start_reply(message_id, "test-model")
        clock.start()
        producer.start()
        qtbot.waitUntil(lambda: sent[0] == len(chunks), timeout=120_000)
        producer.stop()
        stream_s = clock.elapsed() / 1000
        stats = {"reply_tokens": len(chunks) * 4, "stop_reason": "length"}
        recorder.finish(stats)
        view.end_reply(message_id, "complete", stats)
        qtbot.wait(200)
    meter.report(chunks=len(chunks), stream_s=f"{stream_s:.1f}")
    reply = view.message_widgets[-1]
    assert reply.text == text and not reply.is_streaming
    assert store.get_chat_tail(chat_id, 1).messages[0].content == text
    bar = view.verticalScrollBar()
    assert bar.value() == bar.maximum(), "the view followed the reply to its end"
    meter.check(rss_limit_mb=300)

    # Reopened from the list: its first page is rendered as Markdown, the rest on demand.
    window.chats.new_chat()
    qtbot.wait(50)
    with StallMeter("open chat with 1 MB reply") as meter:
        _click_chat(session, chat_id, qtbot)
        qtbot.waitUntil(lambda: len(view.message_widgets) == 2, timeout=30_000)
        qtbot.wait(200)
    meter.report()
    reopened = view.message_widgets[-1]
    assert reopened.text == text and reopened.folded and reopened.fold_bar is not None
    first_page = len(reopened.findChildren(CodeBlock))
    assert 0 < first_page <= PAGE_BLOCKS
    meter.check(rss_limit_mb=100)

    with StallMeter("show more, then all of a 1 MB reply") as meter:
        reopened.fold_bar.more_button.click()  # the next page, as Markdown
        qtbot.wait(USER_PAUSE_MS)
        assert first_page < len(reopened.findChildren(CodeBlock)) <= 2 * PAGE_BLOCKS
        reopened.fold_bar.all_button.click()
        qtbot.waitUntil(lambda: not reopened.folded, timeout=60_000)
        qtbot.wait(100)
    meter.report()
    rest = reopened.findChild(FittedTextView, "restOfMessage")
    assert rest is not None and not reopened.fold_bar.isVisible()
    assert len(rest.toPlainText()) > 0.9 * len(text) and text.endswith(rest.toPlainText())
    meter.check(rss_limit_mb=300)


# --- the pure parts: fitting 100,000 messages, paging a long message ----------------------


def test_fitting_100k_messages_renders_a_few_times_not_once_per_turn() -> None:
    messages = [{"role": "system", "content": "Be brief."}]
    for i in range(50_000):
        messages.append({"role": "user", "content": f"question {i} " + "w " * 8})
        messages.append({"role": "assistant", "content": f"answer {i} " + "w " * 8})
    messages.append({"role": "user", "content": "last question"})
    rendered: list[int] = []

    def count_words(msgs: Sequence[dict[str, str]]) -> int:
        rendered.append(len(msgs))
        return sum(len(m["content"].split()) + 2 for m in msgs)

    started = time.perf_counter()
    result = fit_messages(messages, count_words, n_ctx=2048, max_tokens=256, policy="drop_oldest")
    elapsed_ms = (time.perf_counter() - started) * 1000
    print(
        f"\n[huge-inputs] fit 100,001 messages into 2,048 tokens: renders={len(rendered)} "
        f"messages_rendered={sum(rendered)} ms={elapsed_ms:.0f} kept={len(result.messages)}"
    )
    budget = 2048 - 256
    assert result.prompt_tokens <= budget
    assert result.messages[0]["role"] == "system" and result.messages[-1]["content"] == (
        "last question"
    )
    # The first step that fits, as a linear search from the oldest end would find it:
    # one step (two turns) fewer dropped would not fit.
    kept = result.messages[1:]
    one_step_more = messages[-len(kept) - 4 :]
    assert count_words(messages[:1] + one_step_more) > budget
    assert len(rendered) <= 40 and sum(rendered) < 60_000, "no render per dropped turn"


def test_pages_of_a_long_message_keep_every_character_and_code_as_code() -> None:
    code = "\n".join(f"    value_{i} = compute({i})  # step {i}" for i in range(800))
    text = f"Intro paragraph.\n\n```python\ndef main() -> None:\n{code}\n```\n\nThe end.\n" * 3
    assert len(text) > FOLD_CHARS
    shown, fence, pages, code_lines = 0, None, 0, 0
    while shown < len(text):
        page = split_page(text[shown : page_end(text, shown)], fence, PAGE_BLOCKS)
        assert page.length > 0
        code_lines += sum(b.text.count("value_") for b in page.blocks if b.kind == "code")
        assert not any("value_" in b.text for b in page.blocks if b.kind == "text")
        fence, shown, pages = page.open_fence, shown + page.length, pages + 1
    assert shown == len(text) and pages > 3
    assert code_lines == 3 * 800, "a code block cut across pages stays code"
