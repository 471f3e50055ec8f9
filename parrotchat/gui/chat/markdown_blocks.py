"""A message's Markdown cut into prose and fenced code blocks.

Prose goes to Qt's Markdown renderer; each code block gets its own widget with a
language label and a Copy button. Plain Python, no Qt.

A message longer than FOLD_CHARS (a 5 MB paste, a 1 MB reply) is rendered a page
at a time: a page is at most PAGE_CHARS characters and PAGE_BLOCKS blocks (each
block is a widget, ~1-2 ms to make), so that no page freezes the window. A page
that ends inside a code fence hands the fence on to the next, so code stays code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FOLD_CHARS = 12_000  # ~3,000 tokens, three default-length replies: rendered whole below this
PAGE_CHARS = 4_000  # a screenful or two
PAGE_BLOCKS = 12  # ~25 ms of widgets even when half of them are code blocks

FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$")


@dataclass(frozen=True)
class Block:
    kind: str  # "text" or "code"
    text: str
    language: str = ""


@dataclass(frozen=True)
class Page:
    blocks: list[Block]
    length: int  # characters of the text this page took (it may stop early: max_blocks)
    open_fence: str | None  # the fence line the page leaves open, or None


def split_blocks(markdown: str) -> list[Block]:
    """Prose and fenced code, in order. An unclosed fence runs to the end (as CommonMark)."""
    return split_page(markdown).blocks


def split_page(markdown: str, open_fence: str | None = None, max_blocks: int | None = None) -> Page:
    """`split_blocks` for one page of a longer message.

    `open_fence` is the fence line an earlier page left open: this page starts inside
    its code. With `max_blocks` the page stops at the block boundary where that many
    blocks are complete; `Page.length` says how much of `markdown` it took.
    """
    blocks: list[Block] = []
    prose: list[str] = []
    lines = markdown.split("\n")
    # Character offset of each line's start in `markdown` (the fence line handed on
    # from the page before is not part of it).
    offset = -len(open_fence) - 1 if open_fence is not None else 0
    if open_fence is not None:
        lines.insert(0, open_fence)
    left_open: str | None = None
    stop = max_blocks if max_blocks is not None else len(lines) + 1
    i = 0

    def flush_prose() -> None:
        if "".join(prose).strip():
            blocks.append(Block("text", "\n".join(prose).strip("\n")))
        prose.clear()

    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            prose.append(lines[i])
            offset += len(lines[i]) + 1
            i += 1
            continue
        flush_prose()
        if len(blocks) >= stop:
            return Page(blocks, max(0, offset), None)
        indent, fence, language = len(match.group(1)), match.group(2), match.group(3)
        code: list[str] = []
        left_open = lines[i]
        offset += len(lines[i]) + 1
        i += 1
        while i < len(lines):
            line = lines[i]
            offset += len(line) + 1
            i += 1
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                left_open = None
                break
            code.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
        blocks.append(Block("code", "\n".join(code), language))
        if len(blocks) >= stop and i < len(lines):
            return Page(blocks, min(offset, len(markdown)), left_open)
    flush_prose()
    return Page(blocks, len(markdown), left_open)


def page_end(text: str, start: int, size: int = PAGE_CHARS) -> int:
    """Where the page of about `size` characters from `start` ends.

    After a line break when there is one in the page's second half, so that a page
    seldom cuts a line (or a Markdown construct) in two.
    """
    end = start + size
    if end >= len(text):
        return len(text)
    newline = text.rfind("\n", start + size // 2, end)
    return newline + 1 if newline >= 0 else end
