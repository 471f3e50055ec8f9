"""Exports of a chat read from a real store."""

from __future__ import annotations

import json
from pathlib import Path

from parrotchat.core.chats.export import export_json, export_markdown
from parrotchat.core.chats.store import Chat, ChatStore, ReplyRecorder


def sample_chat(tmp_path: Path) -> Chat:
    with ChatStore(tmp_path / "chats.sqlite3") as store:
        chat = store.create_chat("부산 출장", model="qwen", settings={"system_prompt": "짧게"})
        store.add_message(chat, "user", "출장 일정을 짜 주세요.")
        store.add_message(
            chat,
            "assistant",
            "1일차: 회의\n2일차: 현장 방문\n",
            model="qwen",
            sampling={"temperature": 0.7},
            stats={"reply_tokens": 12, "tokens_per_s": 8.5},
        )
        store.add_message(chat, "user", "더 자세히")
        cut = store.add_message(chat, "assistant", "", model="qwen", status="streaming")
        recorder = ReplyRecorder(store, cut)
        recorder.append("먼저 KTX로")
        recorder.fail("stopped by the user", status="interrupted")
        return store.get_chat(chat)


def test_markdown_reads_like_the_conversation(tmp_path: Path) -> None:
    text = export_markdown(sample_chat(tmp_path))
    assert text.startswith("# 부산 출장\n\n- Model: qwen\n- Created: ")
    assert "## User\n\n출장 일정을 짜 주세요.\n" in text
    assert "## Assistant (qwen)\n\n1일차: 회의\n2일차: 현장 방문\n\n## User" in text
    assert text.rstrip().endswith("먼저 KTX로\n\n_(reply interrupted: stopped by the user)_")


def test_json_keeps_everything(tmp_path: Path) -> None:
    chat = sample_chat(tmp_path)
    text = export_json(chat)
    assert "부산 출장" in text  # not \\uXXXX escapes
    data = json.loads(text)
    assert data["format"] == "parrotchat-chat" and data["version"] == 2
    assert data["settings"] == {"system_prompt": "짧게"}
    assert [m["role"] for m in data["messages"]] == ["user", "assistant", "user", "assistant"]
    reply = data["messages"][1]
    assert reply["sampling"] == {"temperature": 0.7}
    assert reply["stats"] == {"reply_tokens": 12, "tokens_per_s": 8.5}
    last = data["messages"][3]
    assert (last["status"], last["content"]) == ("interrupted", "먼저 KTX로")
    assert last["stats"] == {"reason": "stopped by the user"}
    assert data["created_at"] == chat.created_at


def test_every_branch_is_exported_when_asked(tmp_path: Path) -> None:
    with ChatStore(tmp_path / "chats.sqlite3") as store:
        chat = store.create_chat("versions")
        q = store.add_message(chat, "user", "Name a bird")
        old = store.add_message(chat, "assistant", "A parrot")
        store.branch_before(chat, old)
        new = store.add_message(chat, "assistant", "A crow")
        shown, every = store.get_chat(chat), store.all_messages(chat)
    assert "A parrot" not in export_markdown(shown)
    text = export_markdown(shown, every)
    assert f"## Assistant · #{old} (version 1 of 2, after #{q})\n\nA parrot" in text
    assert f"## Assistant · #{new} (version 2 of 2, after #{q})\n\nA crow" in text
    data = json.loads(export_json(shown, every))
    assert data["branches"] == "all"
    assert [(m["id"], m["parent_id"], m["branch"]) for m in data["messages"]] == [
        (q, None, {"index": 1, "count": 1}),
        (old, q, {"index": 1, "count": 2}),
        (new, q, {"index": 2, "count": 2}),
    ]
    assert [m["id"] for m in json.loads(export_json(shown))["messages"]] == [q, new]
