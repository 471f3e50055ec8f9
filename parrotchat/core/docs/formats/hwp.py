"""Hangul .hwp (HWP 5): an OLE compound file read with olefile; records parsed by hwp_records.

The compound file holds a FileHeader stream (signature, version, property flags) and
one BodyText/SectionN stream per section. The flags say whether the sections are
compressed and whether the document is password-protected, a distribution document
(배포용 문서: the body is encrypted into ViewText/, readable only by Hangul's viewer), or
under DRM: those are refused with that reason instead of yielding garbage.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path

import olefile

from parrotchat.core.docs.formats import hwp_records
from parrotchat.core.docs.formats.limits import Limits, checked_size
from parrotchat.core.docs.formats.passage import DocumentError, Passage
from parrotchat.core.docs.formats.text import paragraphs_to_passages

_SIGNATURE = b"HWP Document File"
_COMPRESSED, _PASSWORD, _DISTRIBUTION, _DRM = 1 << 0, 1 << 1, 1 << 2, 1 << 4
_PUBLIC_KEY, _CERTIFICATE_DRM = 1 << 8, 1 << 10
_SECTION = re.compile(r"^Section(\d+)$")
_READ_STEP = 256 * 1024

_REFUSED = (
    (_PASSWORD, "is encrypted (password-protected): ParrotChat cannot read it"),
    (_DISTRIBUTION, "is a distribution document (배포용 문서): its text is encrypted"),
    (_DRM | _CERTIFICATE_DRM, "is DRM-protected: ParrotChat cannot read it"),
    (_PUBLIC_KEY, "is encrypted with a public key: ParrotChat cannot read it"),
)


def _open(path: Path) -> olefile.OleFileIO[str]:
    with path.open("rb") as file:
        head = file.read(32)
    if head.startswith(b"HWP Document File V3"):
        raise DocumentError(path, "is an HWP 3 document (Hangul 96 or older): not supported")
    if not olefile.isOleFile(str(path)):
        raise DocumentError(path, "is not an HWP 5 document (not an OLE compound file)")
    try:
        return olefile.OleFileIO(str(path))
    except (OSError, struct.error, ValueError, IndexError) as exc:
        raise DocumentError(path, f"is damaged (its compound file is broken: {exc})") from None


def _flags(path: Path, ole: olefile.OleFileIO[str]) -> int:
    if not ole.exists("FileHeader"):
        raise DocumentError(path, "is not an HWP 5 document (no FileHeader)")
    header = ole.openstream("FileHeader").read()
    if len(header) < 40 or not header.startswith(_SIGNATURE):
        raise DocumentError(path, "is not an HWP 5 document (wrong FileHeader signature)")
    (flags,) = struct.unpack_from("<I", header, 36)
    for bit, reason in _REFUSED:
        if flags & bit:
            raise DocumentError(path, reason)
    return int(flags)


def _sections(ole: olefile.OleFileIO[str]) -> list[str]:
    found = []
    for entry in ole.listdir(streams=True, storages=False):
        if len(entry) == 2 and entry[0] == "BodyText" and (m := _SECTION.match(entry[1])):
            found.append((int(m.group(1)), f"BodyText/{entry[1]}"))
    return [name for _, name in sorted(found)]


def _raw_chunks(ole: olefile.OleFileIO[str], name: str) -> Iterator[bytes]:
    stream = ole.openstream(name)
    while chunk := stream.read(_READ_STEP):
        yield chunk


def iter_hwp(path: Path, limits: Limits) -> Iterator[Passage]:
    checked_size(path, limits.office_bytes)
    ole = _open(path)
    try:
        compressed = bool(_flags(path, ole) & _COMPRESSED)
        sections = _sections(ole)
        if not sections:
            raise DocumentError(path, "is damaged (no BodyText/Section streams)")
        for number, name in enumerate(sections, start=1):
            data = _raw_chunks(ole, name)
            if compressed:
                data = hwp_records.inflate(data, limits.hwp_section_bytes)
            try:
                yield from paragraphs_to_passages(
                    hwp_records.paragraphs(data), section=f"Section {number}"
                )
            except hwp_records.BombError as exc:
                raise DocumentError(
                    path, f"looks like a compression bomb ({name} {exc}): not unpacked"
                ) from None
            except hwp_records.RecordError as exc:
                raise DocumentError(path, f"is damaged ({name} {exc})") from None
    finally:
        ole.close()
