"""A single line break in a message's prose shows as a line break, as in chat apps.

Markdown joins the lines of a paragraph with a space (a "soft" break), so a haiku,
an address or Korean text typed line by line ran together into one paragraph. A
Markdown hard break ("  " at the end of the line) is no cure here: Qt's Markdown
reader turns each one into a new paragraph, spaced like one, so that a haiku would
read as three paragraphs.

Instead, `mark` ends each line that may go on in the same paragraph with MARK before
Qt reads the text; a soft break then arrives in the document as MARK and a space,
and `apply` turns each of those into a line separator (Qt's <br>) and drops the
marks left at the ends of blocks. MARK is HAIR SPACE: white space to the reader, so
a URL at the end of a line ends before it and `_emphasis_` still closes there.

Where a mark would change what a line is, it gets none: table rows, thematic breaks
and setext underlines, ATX headings, code fences, link reference definitions. A
table written straight under a line of text gets a blank line above it: Qt's reader
(unlike GitHub's) does not let a table interrupt a paragraph.
"""

from __future__ import annotations

import re

from PySide6.QtGui import QTextCursor, QTextDocument

MARK = "\u200a"  # HAIR SPACE
LINE_SEPARATOR = "\u2028"  # a line break inside a paragraph (Qt's <br>)

_UNMARKED = re.compile(
    r"^(?: {0,3}(?:#{1,6}(?:[ \t]|$)"  # ATX heading
    r"|(?:[-*_=][ \t]*)+$"  # thematic break, setext underline
    r"|\[[^\]]+\]:)"  # link reference definition
    r"|[ \t]*(?:`{3,}|~{3,}))"  # code fence (even indented, inside a list)
)
_MARKS = re.compile(MARK + " ?")  # a mark, with the space of the soft break after it
_TABLE_DELIMITER = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")


def mark(markdown: str) -> str:
    """`markdown` with MARK at the end of every line that a soft break may follow."""
    if "\n" not in markdown:
        return markdown
    lines = markdown.split("\n")
    n = len(lines)
    in_table = [False] * n
    blank_above: set[int] = set()
    for i in range(1, n):
        if "|" in lines[i] and "|" in lines[i - 1] and _TABLE_DELIMITER.match(lines[i]):
            header = i - 1
            if header > 0 and lines[header - 1].strip() and not in_table[header - 1]:
                blank_above.add(header)
            in_table[header] = True
            row = i
            while row < n and lines[row].strip():  # the table runs to a blank line
                in_table[row] = True
                row += 1
    out: list[str] = []
    for i, line in enumerate(lines):
        if i in blank_above:
            out.append("")
        if (
            i + 1 < n
            and not in_table[i]
            and i + 1 not in blank_above
            and line.strip()
            and lines[i + 1].strip()
            and not line.endswith("\\")  # a hard break already
            and not _UNMARKED.match(line)
        ):
            out.append(line.rstrip() + MARK)
        else:
            out.append(line)
    return "\n".join(out)


def apply(document: QTextDocument) -> None:
    """After `document.setMarkdown(mark(text))`: soft breaks become line breaks."""
    raw = document.toRawText()  # one character per document position
    if MARK not in raw:
        return
    cursor = QTextCursor(document)
    cursor.beginEditBlock()  # one layout pass for all the edits, not one per edit
    # From the end, so that the positions still to come stay where they were.
    for found in reversed(list(_MARKS.finditer(raw))):
        start, end = found.span()
        if document.characterAt(start) != MARK:
            continue  # not where the raw text said: leave it rather than cut text
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        if end - start == 2:
            cursor.insertText(LINE_SEPARATOR)
        else:
            cursor.removeSelectedText()
    cursor.endEditBlock()
