"""A single newline in a message shows as a line break; Markdown lists, tables, quotes
and code keep their shape (#17.2)."""

from __future__ import annotations

import pytest
from gui_helpers import WindowFactory
from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.core.chats.records import Message
from parrotchat.gui.chat.code_block import CodeBlock
from parrotchat.gui.chat.line_breaks import LINE_SEPARATOR, MARK, mark
from parrotchat.gui.chat.message_widget import MessageWidget
from parrotchat.gui.fitted_text import FittedTextView

HAIKU = "An old silent pond\nA frog jumps into the pond—\nSplash! Silence again."
ADDRESS = "ParrotChat Ltd.\n12 Harbour Road\nBusan 48058\nSouth Korea"
KOREAN = "오늘은 비가 옵니다.\n우산을 챙기세요.\n내일은 맑겠습니다."


def shown(qtbot: QtBot, content: str, role: str = "assistant") -> MessageWidget:
    message = Message(1, 1, role, content, "2026-01-01T00:00:00", "m", None, None, "complete")
    widget = MessageWidget(message)
    qtbot.addWidget(widget)
    widget.resize(700, 400)
    widget.show()
    return widget


def prose(widget: MessageWidget) -> list[FittedTextView]:
    return [v for v in widget.findChildren(FittedTextView) if v.parent() is widget]


def lines_on_screen(view: FittedTextView) -> list[int]:
    """Laid-out lines of each block of the view's document."""
    document = view.document().clone()
    document.setTextWidth(2000)  # wide: only line breaks start a new line
    document.size()  # lays it out
    block, counts = document.begin(), []
    while block.isValid():
        counts.append(block.layout().lineCount())
        block = block.next()
    return counts


@pytest.mark.parametrize("text", [HAIKU, ADDRESS, KOREAN])
def test_each_line_stays_a_line_of_one_paragraph(qtbot: QtBot, text: str) -> None:
    for role in ("assistant", "user"):
        widget = shown(qtbot, text, role)
        (view,) = prose(widget)
        n = text.count("\n") + 1
        # One paragraph (no paragraph spacing between the lines), each line its own.
        assert lines_on_screen(view) == [n]
        assert view.toPlainText() == text
        assert MARK not in view.document().toRawText()


def test_blank_line_still_starts_a_paragraph(qtbot: QtBot) -> None:
    (view,) = prose(shown(qtbot, "Dear Ann,\nthanks.\n\nSee you\nBob"))
    assert lines_on_screen(view) == [2, 2]


def test_markdown_lists_tables_quotes_and_code_keep_their_shape(qtbot: QtBot) -> None:
    text = (
        "Steps:\n- first\n- second\n  goes on\n1. one\n\n"
        "| Name | Age |\n|---|---|\n| Kim | 30 |\n| Lee | 41 |\n\n"
        "> quoted line\n> next quoted\n\n"
        "Heading\n=======\n\n"
        "    indented code\n    more code\n\n"
        "```python\nx = 1\ny = 2\n```\n"
        "See https://example.com/a?b=1\n__bold__ then _it_\nlast"
    )
    widget = shown(qtbot, text)
    first, after = prose(widget)
    document = first.document()
    blocks = []
    block = document.begin()
    while block.isValid():
        blocks.append(block)
        block = block.next()
    lists = [b.text() for b in blocks if b.textList() is not None]
    assert lists == ["first", "second" + LINE_SEPARATOR + "goes on", "one"]
    assert "<table" in document.toHtml() and "Kim" in first.toPlainText()
    assert "| Kim |" not in first.toPlainText(), "the table is a table, not text"
    assert "quoted line" + LINE_SEPARATOR + "next quoted" in [b.text() for b in blocks]
    heading = next(b for b in blocks if b.text() == "Heading")
    assert heading.blockFormat().headingLevel() == 1
    assert "indented code\nmore code" in first.toPlainText()
    (code,) = widget.findChildren(CodeBlock)
    assert code.code == "x = 1\ny = 2"
    html = after.document().toHtml()
    assert 'href="https://example.com/a?b=1"' in html  # the link ends where the URL does
    assert after.toPlainText() == "See https://example.com/a?b=1\nbold then it\nlast"
    # Emphasis closes at a line's end (Qt shows _x_ underlined).
    assert html.count("text-decoration: underline") == 2


def test_table_under_a_line_of_text_is_a_table(qtbot: QtBot) -> None:
    (view,) = prose(shown(qtbot, "Prices:\n| Item | Won |\n|---|---|\n| Tea | 3000 |"))
    assert "<table" in view.document().toHtml()
    assert mark("Prices:\n| a |\n|---|") == "Prices:\n\n| a |\n|---|"


def test_mark_leaves_lines_that_would_change_meaning() -> None:
    text = "# Title #\nbody\n---\n***\nx\n[ref]: https://a.example\ny\n   ```\nz\\\nw"
    assert mark(text) == (
        f"# Title #\nbody{MARK}\n---\n***\nx{MARK}\n[ref]: https://a.example\ny{MARK}\n"
        "   ```\nz\\\nw"
    )
    assert mark("one line") == "one line"


def test_screenshot_haiku_address_korean(
    make_window: WindowFactory, qtbot: QtBot, ui_lang: str
) -> None:
    session = make_window(wait_model=False, ui_lang=ui_lang)
    store = session.store
    chat_id = store.create_chat("Line breaks")
    store.add_message(chat_id, "user", "Write a haiku, then my address, then the weather.")
    store.add_message(chat_id, "assistant", HAIKU, model="starter")
    store.add_message(chat_id, "user", ADDRESS)
    store.add_message(chat_id, "assistant", KOREAN + "\n\n- 비: 80%\n- 바람: 약함", model="starter")
    session.window.resize(1100, 800)
    session.chats.open_chat(chat_id)
    view = session.window.chat_view
    widgets = view.message_widgets
    assert [lines_on_screen(prose(w)[0])[0] for w in widgets] == [1, 3, 4, 3]
    qtbot.waitUntil(lambda: widgets[-1].isVisible() and widgets[-1].height() > 60)
    qtbot.wait(50)
    save_shot(session.window, f"line_breaks_{ui_lang}.png")
