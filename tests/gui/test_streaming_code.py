"""Fenced code shows as a code block while the reply streams, never as raw ``` (#17.6)."""

from __future__ import annotations

import random

from pytestqt.qtbot import QtBot
from screenshots import save_shot

from parrotchat.gui.chat.chat_view import ChatView
from parrotchat.gui.chat.code_block import CodeBlock
from parrotchat.gui.chat.markdown_blocks import Block, split_blocks
from parrotchat.gui.chat.stream_blocks import CloseCode, Code, OpenCode, Prose, StreamSplitter
from parrotchat.gui.fitted_text import FittedTextView

REPLY = (
    "Here is the script:\n\n```python\ndef greet(name):\n\n    print(f'Hi {name}')\n```\n"
    "Run it, then:\n  ``not a fence``\n~~~\nraw ``` inside\n~~~\n\n\n"
    "```bash\n$ python greet.py\n  ```\nDone.\n\n```js\nunclosed()"
)


def streamed_blocks(pieces: list[str]) -> list[Block]:
    """The blocks a streaming view ends up with when the reply comes in these pieces."""
    splitter = StreamSplitter()
    blocks: list[Block] = []
    open_code = False
    for step in [s for piece in pieces for s in splitter.feed(piece)] + splitter.flush():
        match step:
            case Prose(text=text):
                if blocks and blocks[-1].kind == "text":
                    blocks[-1] = Block("text", blocks[-1].text + text)
                else:
                    blocks.append(Block("text", text))
            case Code(text=text):
                assert open_code
                last = blocks[-1]
                blocks[-1] = Block("code", last.text + text, last.language)
            case OpenCode(language=language):
                blocks.append(Block("code", "", language))
                open_code = True
            case CloseCode():
                open_code = False
    return blocks


def test_pieces_of_any_size_give_the_blocks_of_the_finished_reply() -> None:
    expected = split_blocks(REPLY)
    assert [b.kind for b in expected] == ["text", "code", "text", "code", "code", "text", "code"]
    assert streamed_blocks([REPLY]) == expected
    assert streamed_blocks(list(REPLY)) == expected  # a character at a time
    rng = random.Random(17)
    for _ in range(50):
        cuts = sorted(rng.sample(range(1, len(REPLY)), rng.randint(1, 40)))
        pieces = [REPLY[a:b] for a, b in zip([0, *cuts], [*cuts, len(REPLY)], strict=True)]
        assert streamed_blocks(pieces) == expected, pieces


def test_a_fence_is_held_back_only_while_it_may_be_one() -> None:
    splitter = StreamSplitter()
    assert splitter.feed("Look:\n``") == [Prose("Look:")]  # "``" may become a fence
    assert splitter.feed("`py") == []
    assert splitter.feed("thon\nx") == [OpenCode("python"), Code("x")]
    assert splitter.in_code
    assert splitter.feed(" = 1\n`") == [Code(" = 1")]
    assert splitter.feed("``\nok") == [CloseCode(), Prose("ok")]
    assert splitter.feed("\n`x` is code") == [Prose("\n`x` is code")]  # not a fence: at once


def texts(view: ChatView) -> tuple[list[str], list[CodeBlock]]:
    widget = view.streaming_widget
    assert widget is not None
    prose = [v.toPlainText() for v in widget.findChildren(FittedTextView) if v.parent() is widget]
    return prose, widget.findChildren(CodeBlock)


def test_code_block_shows_while_the_reply_streams(qtbot: QtBot, ui_lang: str) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.resize(640, 420)
    view.show()
    view.start_reply(1, "starter")
    view.set_busy(True)
    widget = view.streaming_widget
    assert widget is not None
    for piece in ["Here is the script:\n\n``", "`py", "thon\ndef greet(name):\n", "    print("]:
        view.append_reply(piece)
        qtbot.wait(40)  # past the view's refresh (REFRESH_HZ)
    prose, blocks = texts(view)
    assert prose == ["Here is the script:"], "no raw ``` on screen"
    assert [(b.language_label.text(), b.code) for b in blocks] == [
        ("python", "def greet(name):\n    print(")
    ]
    code_view = blocks[0].view
    qtbot.waitUntil(lambda: code_view.height() >= 2 * code_view.fontMetrics().lineSpacing())
    save_shot(view, f"streaming_code_{ui_lang}.png")

    for piece in ["f'Hi {name}')\n``", "`\nRun it.", "\n```bash\n$ python greet.py"]:
        view.append_reply(piece)
        qtbot.wait(40)
    prose, blocks = texts(view)
    assert prose == ["Here is the script:", "Run it."]
    assert [b.code for b in blocks] == [
        "def greet(name):\n    print(f'Hi {name}')",
        "$ python greet.py",
    ]
    assert all("```" not in text for text in prose)
    assert view.streaming_widget is widget and widget.is_streaming

    view.end_reply(1, "complete", {"reply_tokens": 30, "stop_reason": "finished"})
    finished = view.message_widgets[0]
    qtbot.waitUntil(lambda: len(finished.findChildren(CodeBlock)) == 2)  # streamed ones gone
    assert [b.code for b in finished.findChildren(CodeBlock)] == [
        "def greet(name):\n    print(f'Hi {name}')",
        "$ python greet.py",
    ]


def test_feed_some_stops_after_so_many_blocks() -> None:
    burst = "".join(f"Step {i}\n```\ncode {i}\n```\n" for i in range(10))
    splitter = StreamSplitter()
    steps, taken = splitter.feed_some(burst, 4)
    assert burst[:taken] == "Step 0\n```\ncode 0\n```\nStep 1\n```\n"
    assert [s for s in steps if isinstance(s, OpenCode)] == [OpenCode(""), OpenCode("")]
    assert splitter.blocks == 4


def test_a_long_or_bursting_reply_goes_on_as_plain_text(qtbot: QtBot) -> None:
    view = ChatView()
    qtbot.addWidget(view)
    view.start_reply(1, "starter")
    widget = view.streaming_widget
    assert widget is not None
    # A burst of 30 code blocks in one refresh: the first ones become blocks, the rest
    # waits in one plain view rather than stalling the window on 60 new widgets.
    burst = "".join(f"Step {i}\n```\ncode {i}\n```\n" for i in range(30))
    widget.append_text(burst)
    widget.append_text("More after it.")
    blocks = widget.findChildren(CodeBlock)
    assert 1 <= len(blocks) <= 12
    rest = widget.findChild(FittedTextView, "streamingRest")
    assert rest is not None and rest.toPlainText().endswith("code 29\n```\nMore after it.")
    view.end_reply(1, "complete", {"stop_reason": "finished"})  # short: rendered whole
    qtbot.waitUntil(lambda: len(widget.findChildren(CodeBlock)) == 30)
