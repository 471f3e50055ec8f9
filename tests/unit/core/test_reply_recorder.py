"""ReplyRecorder against a real store: throttled writes, and a reply that survives a kill."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.core.chats.store import ChatStore, ReplyRecorder

REPO = Path(__file__).resolve().parents[3]


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    s = ChatStore(tmp_path / "chats.sqlite3").open()
    yield s
    s.close()


def streaming_reply(store: ChatStore) -> tuple[int, int]:
    chat = store.create_chat("c")
    return chat, store.add_message(chat, "assistant", "", status="streaming")


def saved(store: ChatStore, chat: int) -> str:
    return store.get_chat(chat).messages[-1].content


def test_writes_at_most_once_per_interval(store: ChatStore) -> None:
    chat, mid = streaming_reply(store)
    clock = FakeClock()
    recorder = ReplyRecorder(store, mid, interval_s=1.0, clock=clock)
    writes = []
    for step in range(1, 13):  # a token every 0.25 s for 3 s
        clock.now = step * 0.25
        before = saved(store, chat)
        recorder.append(f"[{step}]")
        if saved(store, chat) != before:
            writes.append(clock.now)
    assert writes == [1.0, 2.0, 3.0]
    assert saved(store, chat) == recorder.text == "".join(f"[{s}]" for s in range(1, 13))


def test_the_interval_counts_from_the_last_write(store: ChatStore) -> None:
    chat, mid = streaming_reply(store)
    clock = FakeClock()
    recorder = ReplyRecorder(store, mid, clock=clock)
    for t, piece, expected in [
        (0.9, "a", ""),  # 0.9 s since the row was written: not yet
        (1.3, "b", "ab"),  # due: writes everything so far
        (2.2, "c", "ab"),  # 0.9 s since that write
        (2.3, "", "ab"),  # empty pieces never write
        (2.31, "d", "abcd"),
    ]:
        clock.now = t
        recorder.append(piece)
        assert saved(store, chat) == expected, t


def test_flush_if_due_saves_a_stalled_reply(store: ChatStore) -> None:
    chat, mid = streaming_reply(store)
    clock = FakeClock()
    recorder = ReplyRecorder(store, mid, clock=clock)
    clock.now = 0.5
    recorder.append("생각 중")
    assert not recorder.flush_if_due()
    clock.now = 1.6  # no token for 1.1 s: a timer calls flush_if_due
    assert recorder.flush_if_due()
    assert saved(store, chat) == "생각 중"
    assert not recorder.flush_if_due()  # nothing new to write


def test_finish_saves_text_stats_and_status(store: ChatStore) -> None:
    chat, mid = streaming_reply(store)
    recorder = ReplyRecorder(store, mid, clock=FakeClock())
    recorder.append("안녕하세요")
    recorder.append("!")
    recorder.finish({"reply_tokens": 2, "tokens_per_s": 9.5})
    (msg,) = store.get_chat(chat).messages
    assert (msg.content, msg.status) == ("안녕하세요!", "complete")
    assert msg.stats == {"reply_tokens": 2, "tokens_per_s": 9.5}
    with pytest.raises(RuntimeError):
        recorder.append("late")


@pytest.mark.parametrize("status", ["error", "interrupted"])
def test_fail_keeps_the_partial_text_and_the_reason(store: ChatStore, status: str) -> None:
    chat, mid = streaming_reply(store)
    recorder = ReplyRecorder(store, mid, clock=FakeClock())
    recorder.append("half a rep")
    recorder.fail("engine crashed (exit code -9)", status=status, stats={"reply_tokens": 3})
    (msg,) = store.get_chat(chat).messages
    assert (msg.content, msg.status) == ("half a rep", status)
    assert msg.stats == {"reply_tokens": 3, "reason": "engine crashed (exit code -9)"}


def test_fail_rejects_a_success_status(store: ChatStore) -> None:
    _chat, mid = streaming_reply(store)
    with pytest.raises(ValueError):
        ReplyRecorder(store, mid).fail("x", status="complete")


CHILD = textwrap.dedent(
    """
    import sys, time
    from parrotchat.core.chats.store import ChatStore, ReplyRecorder
    store = ChatStore(sys.argv[1]).open()
    chat = store.create_chat("kill me")
    recorder = ReplyRecorder(store, store.add_message(chat, "assistant", "", status="streaming"))
    print("ready", flush=True)
    i = 0
    while True:
        recorder.append(f"<{i}>")
        # printed after append returned: piece i, and any write it triggered, are done
        print(i, time.monotonic(), flush=True)
        i += 1
        time.sleep(0.01)
    """
)


def test_a_killed_process_keeps_all_but_the_last_second(tmp_path: Path) -> None:
    db = tmp_path / "chats.sqlite3"
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline() == "ready\n"
        appended: list[float] = []
        while not appended or appended[-1] - appended[0] < 2.3:
            line = proc.stdout.readline()
            assert line, "the child stopped early"
            appended.append(float(line.split()[1]))
    finally:
        proc.kill()  # SIGKILL: no cleanup, no atexit, no close
        rest = proc.communicate(timeout=10)[0]
    appended += [
        float(line.split()[1]) for line in rest.splitlines(keepends=True) if line.endswith("\n")
    ]

    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with ChatStore(db) as store:
        (reply,) = store.get_chat(1).messages
        assert reply.status == "streaming"
        assert store.recover_interrupted() == 1

    full = "".join(f"<{i}>" for i in range(len(appended)))
    assert full.startswith(reply.content)  # a clean prefix, never a torn write
    # The guarantee: a piece is on disk once any append at least 1 s after it has
    # returned. (With tokens arriving, that is "all but the last second".)
    last_append = appended[-1]
    must_have = [i for i, t in enumerate(appended) if last_append - t >= 1.0]
    assert len(must_have) > 20
    assert reply.content.startswith("".join(f"<{i}>" for i in must_have))
