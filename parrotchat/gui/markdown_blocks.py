"""A message's Markdown cut into prose and fenced code blocks.

Prose goes to Qt's Markdown renderer; each code block gets its own widget with a
language label and a Copy button. Plain Python, no Qt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*$")


@dataclass(frozen=True)
class Block:
    kind: str  # "text" or "code"
    text: str
    language: str = ""


def split_blocks(markdown: str) -> list[Block]:
    """Prose and fenced code, in order. An unclosed fence runs to the end (as CommonMark)."""
    blocks: list[Block] = []
    prose: list[str] = []
    lines = markdown.split("\n")
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if match is None:
            prose.append(lines[i])
            i += 1
            continue
        indent, fence, language = len(match.group(1)), match.group(2), match.group(3)
        code: list[str] = []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                i += 1
                break
            line = lines[i]
            code.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
            i += 1
        if "".join(prose).strip():
            blocks.append(Block("text", "\n".join(prose).strip("\n")))
        prose = []
        blocks.append(Block("code", "\n".join(code), language))
    if "".join(prose).strip():
        blocks.append(Block("text", "\n".join(prose).strip("\n")))
    return blocks
