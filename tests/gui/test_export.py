"""Export the open chat as Markdown and as JSON (with settings and stats)."""

from __future__ import annotations

import json
from pathlib import Path

from gui_helpers import WindowFactory, fill_chat


def test_export_markdown_and_json(make_window: WindowFactory, tmp_path: Path) -> None:
    session = make_window(wait_model=False)
    chat_id = fill_chat(session.store, 2, title="회의 요약")
    session.store.update_chat_settings(chat_id, {"system_prompt": "Be brief."})
    session.chats.open_chat(chat_id)
    md, js = tmp_path / "chat.md", tmp_path / "chat.json"
    session.window.export_chat(md, "markdown")
    session.window.export_chat(js, "json")
    text = md.read_text(encoding="utf-8")
    assert text.startswith("# 회의 요약") and "print('hello 1')" in text
    data = json.loads(js.read_text(encoding="utf-8"))
    assert data["settings"]["system_prompt"] == "Be brief."
    assert data["messages"][1]["stats"]["reply_tokens"] == 20
    assert not session.window.banner.isVisible()
