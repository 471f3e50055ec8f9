"""Write real documents for tests: PDF, DOCX, HWPX, HWP, HTML, and hostile ones.

Each file is made by the writer its format is made with where one exists in Python:
fpdf2 for PDFs (with Noto Sans CJK embedded, so Korean text is real text, not
pictures), PDFium (pypdfium2) to repeat a page 10,000 times, python-docx for .docx.
HWPX is zipped XML in the OWPML layout (Hangul's own writer is not available), written
with zipfile. HWP 5 needs an OLE compound file and no Python library writes one
(olefile and compoundfiles only read; the `cfb` packages on PyPI are unmaintained), so
`write_cfb` below is a minimal compound-file writer (version 3, 512-byte sectors, mini
stream for streams under 4096 bytes), checked by reading its output with olefile.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import docx
import pypdfium2 as pdfium
from fpdf import FPDF
from fpdf.enums import EncryptionMethod

CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
)
# In Noto's .ttc, font 1 is the Korean (KR) face.
_KR_FACE = 1

Table = Sequence[Sequence[str]]


# --- PDF ---------------------------------------------------------------------------------


def _cjk_font() -> Path:
    for font in CJK_FONTS:
        if font.exists():
            return font
    raise RuntimeError("no CJK font installed (apt-get install fonts-noto-cjk)")


def _pdf_writer(pages: Sequence[str], outline: Mapping[int, str] | None = None) -> FPDF:
    pdf = FPDF()
    font = _cjk_font()
    pdf.add_font(
        "cjk", fname=str(font), collection_font_number=_KR_FACE if font.suffix == ".ttc" else 0
    )
    pdf.set_font("cjk", size=11)
    for number, text in enumerate(pages, start=1):
        pdf.add_page()
        if outline and number in outline:
            pdf.start_section(outline[number])
        if text:
            pdf.multi_cell(0, 7, text)
    return pdf


def make_pdf(path: Path, pages: Sequence[str], outline: Mapping[int, str] | None = None) -> Path:
    """A PDF with one page per string ("" makes a page with no text); `outline` maps a
    1-based page number to a bookmark title starting there."""
    _pdf_writer(pages, outline).output(str(path))
    return path


def make_encrypted_pdf(
    path: Path, pages: Sequence[str] = ("비밀 문서 secret",), password: str = "1234"
) -> Path:
    """A PDF that needs a password to open (AES-128, a user password set)."""
    pdf = _pdf_writer(pages)
    pdf.set_encryption(
        owner_password="owner-" + password,
        user_password=password,
        encryption_method=EncryptionMethod.AES_128,
    )
    pdf.output(str(path))
    return path


def make_big_pdf(
    path: Path,
    pages: int = 10_000,
    text: str = "Quarterly report 분기 보고서: the same page again.",
) -> Path:
    """A PDF of `pages` pages, each the same page (written once by fpdf2, repeated by PDFium)."""
    one = path.with_suffix(".one.pdf")
    make_pdf(one, [text])
    source = pdfium.PdfDocument(str(one))
    big = pdfium.PdfDocument.new()
    try:
        big.import_pages(source, [0] * pages)
        big.save(str(path))
    finally:
        big.close()
        source.close()
        one.unlink()
    return path


# --- DOCX --------------------------------------------------------------------------------


def make_docx(
    path: Path,
    paragraphs: Sequence[str],
    headings: Mapping[int, str] | None = None,
    table: Table | None = None,
    *,
    table_after: int | None = None,
) -> Path:
    """A Word document: `headings[i]` (a Heading 1) goes before paragraphs[i]; the table
    goes after paragraph `table_after` (default: at the end)."""
    document = docx.Document()
    headings = headings or {}
    after = len(paragraphs) - 1 if table_after is None else table_after

    def add_table() -> None:
        assert table is not None
        grid = document.add_table(rows=len(table), cols=max(len(row) for row in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value

    if table is not None and after < 0:
        add_table()
    for index, text in enumerate(paragraphs):
        if index in headings:
            document.add_heading(headings[index], level=1)
        document.add_paragraph(text)
        if table is not None and index == after:
            add_table()
    document.save(str(path))
    return path


# --- HWPX --------------------------------------------------------------------------------

_HWPML = "http://www.hancom.co.kr/hwpml/2011"
_HP = f"{_HWPML}/paragraph"
_HS = f"{_HWPML}/section"
_ODF = "urn:oasis:names:tc:opendocument:xmlns"
_OPF = "http://www.idpf.org/2007/opf/"


def _hwpx_paragraph(text: str) -> str:
    # A tab and a line break inside the text, as Hangul writes them.
    runs = []
    for i, line in enumerate(text.split("\n")):
        if i:
            runs.append("<hp:lineBreak/>")
        parts = [escape(part) for part in line.split("\t")]
        runs.append("<hp:tab/>".join(parts))
    return (
        '<hp:p id="0" paraPrIDRef="0" styleIDRef="0" pageBreak="0" columnBreak="0" merged="0">'
        f'<hp:run charPrIDRef="0"><hp:t>{"".join(runs)}</hp:t></hp:run>'
        '<hp:linesegarray><hp:lineseg textpos="0" vertpos="0"/></hp:linesegarray></hp:p>'
    )


def _hwpx_table(rows: Table) -> str:
    cells = "".join(
        "<hp:tr>"
        + "".join(
            f"<hp:tc><hp:subList>{_hwpx_paragraph(value)}</hp:subList>"
            f'<hp:cellAddr colAddr="{c}" rowAddr="{r}"/></hp:tc>'
            for c, value in enumerate(row)
        )
        + "</hp:tr>"
        for r, row in enumerate(rows)
    )
    return (
        '<hp:p id="0" paraPrIDRef="0" styleIDRef="0"><hp:run charPrIDRef="0">'
        f'<hp:tbl rowCnt="{len(rows)}" colCnt="{max(len(r) for r in rows)}">{cells}</hp:tbl>'
        "</hp:run></hp:p>"
    )


def hwpx_section_xml(blocks: Sequence[str | Table]) -> str:
    body = "".join(_hwpx_paragraph(b) if isinstance(b, str) else _hwpx_table(b) for b in blocks)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>'
        f'<hs:sec xmlns:hp="{_HP}" xmlns:hs="{_HS}">{body}</hs:sec>'
    )


def make_hwpx(
    path: Path, sections: Sequence[Sequence[str | Table]], *, encrypted: bool = False
) -> Path:
    """An HWPX document: one Contents/sectionN.xml per section; a block is a paragraph
    (str, may hold \\t and \\n) or a table (rows of cell strings)."""
    items = "".join(
        f'<opf:item id="section{i}" href="Contents/section{i}.xml" media-type="application/xml"/>'
        for i in range(len(sections))
    )
    spine = "".join(f'<opf:itemref idref="section{i}" linear="yes"/>' for i in range(len(sections)))
    encryption = (
        '<odf:file-entry odf:full-path="Contents/section0.xml"><odf:encryption-data/>'
        "</odf:file-entry>"
        if encrypted
        else ""
    )
    parts = {
        "version.xml": (
            f'<hv:HCFVersion xmlns:hv="{_HWPML}/version" major="5" minor="1" micro="0"/>'
        ),
        "META-INF/container.xml": (
            f'<ocf:container xmlns:ocf="{_ODF}:container"><ocf:rootfiles>'
            '<ocf:rootfile full-path="Contents/content.hpf" '
            'media-type="application/hwpml-package+xml"/></ocf:rootfiles></ocf:container>'
        ),
        "META-INF/manifest.xml": (
            f'<odf:manifest xmlns:odf="{_ODF}:manifest:1.0">{encryption}</odf:manifest>'
        ),
        "Contents/content.hpf": (
            f'<opf:package xmlns:opf="{_OPF}" version="" unique-identifier="" id="">'
            '<opf:manifest><opf:item id="header" href="Contents/header.xml" '
            f'media-type="application/xml"/>{items}</opf:manifest>'
            f"<opf:spine>{spine}</opf:spine></opf:package>"
        ),
        "Contents/header.xml": f'<hh:head xmlns:hh="{_HWPML}/head" version="1.4" secCnt="1"/>',
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        # Like ODF and EPUB: the mimetype first and stored, so `file` can tell the type.
        archive.writestr("mimetype", "application/hwp+zip", compress_type=zipfile.ZIP_STORED)
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>' + xml)
        for i, blocks in enumerate(sections):
            archive.writestr(
                f"Contents/section{i}.xml",
                hwpx_section_xml(blocks),
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return path


# --- HWP 5 -------------------------------------------------------------------------------

HWPTAG_BEGIN = 0x10
HWPTAG_DOCUMENT_PROPERTIES = HWPTAG_BEGIN
HWPTAG_PARA_HEADER = HWPTAG_BEGIN + 50
HWPTAG_PARA_TEXT = HWPTAG_BEGIN + 51
HWPTAG_PARA_CHAR_SHAPE = HWPTAG_BEGIN + 52
HWPTAG_CTRL_HEADER = HWPTAG_BEGIN + 55
HWPTAG_LIST_HEADER = HWPTAG_BEGIN + 56
HWPTAG_TABLE = HWPTAG_BEGIN + 61

# FileHeader property bits (HWP 5.0 spec, table 3).
HWP_COMPRESSED = 1 << 0
HWP_PASSWORD = 1 << 1
HWP_DISTRIBUTION = 1 << 2


def hwp_record(tag: int, level: int, payload: bytes) -> bytes:
    size = len(payload)
    if size >= 0xFFF:
        return struct.pack("<II", tag | level << 10 | 0xFFF << 20, size) + payload
    return struct.pack("<I", tag | level << 10 | size << 20) + payload


def _hwp_text(text: str) -> bytes:
    """A paragraph's text the way Hangul stores it: a tab is an 8-unit inline control,
    a line break one unit, the paragraph ends with 13."""
    units = b""
    for char in text:
        if char == "\t":
            units += struct.pack("<H", 9) + b"\x00\x00" * 6 + struct.pack("<H", 9)
        elif char == "\n":
            units += struct.pack("<H", 10)
        else:
            units += char.encode("utf-16le")
    return units + struct.pack("<H", 13)


def _hwp_table_control() -> bytes:
    # An extended control (11: a table or drawing object) with its 'tbl ' id in the 7
    # parameter units, as it sits in the text of the paragraph that anchors a table.
    return struct.pack("<H", 11) + b" lbt" + b"\x00" * 8 + struct.pack("<H", 11)


def _hwp_paragraph(text: str, level: int) -> bytes:
    units = _hwp_text(text)
    header = struct.pack("<IIHBB", len(units) // 2, 0, 0, 0, 0) + b"\x00" * 10
    return (
        hwp_record(HWPTAG_PARA_HEADER, level, header)
        + hwp_record(HWPTAG_PARA_TEXT, level + 1, units)
        + hwp_record(HWPTAG_PARA_CHAR_SHAPE, level + 1, struct.pack("<II", 0, 0))
    )


def _hwp_table(rows: Table, caption: str | None) -> bytes:
    """A table as Hangul lays it out: the anchoring paragraph's text holds the control;
    one level down the CTRL_HEADER "tbl ", then the caption's list, the TABLE record and
    a LIST_HEADER (paragraph count, flags, column, row, spans...) per cell."""
    anchor = _hwp_table_control() + struct.pack("<H", 13)
    header = struct.pack("<IIHBB", len(anchor) // 2, 0, 0, 0, 0) + b"\x00" * 10
    out = hwp_record(HWPTAG_PARA_HEADER, 0, header) + hwp_record(HWPTAG_PARA_TEXT, 1, anchor)
    out += hwp_record(HWPTAG_CTRL_HEADER, 1, b" lbt" + b"\x00" * 40)
    if caption is not None:
        out += hwp_record(HWPTAG_LIST_HEADER, 2, struct.pack("<HHI", 1, 0, 0) + b"\x00" * 14)
        out += _hwp_paragraph(caption, 2)
    columns = max(len(row) for row in rows)
    out += hwp_record(HWPTAG_TABLE, 2, struct.pack("<IHH", 0, len(rows), columns) + b"\x00" * 12)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            cell = struct.pack("<HHIHHHHII4HH", 1, 0, 0, c, r, 1, 1, 0, 0, 0, 0, 0, 0, 0)
            out += hwp_record(HWPTAG_LIST_HEADER, 2, cell)
            out += _hwp_paragraph(value, 2)
    return out


def hwp_section_records(blocks: Sequence[str | Table], caption: str | None = None) -> bytes:
    """Body records: a str is a paragraph, a list of rows a table (with `caption`, if given)."""
    return b"".join(
        _hwp_paragraph(block, 0) if isinstance(block, str) else _hwp_table(block, caption)
        for block in blocks
    )


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


def hwp_file_header(flags: int) -> bytes:
    signature = b"HWP Document File".ljust(32, b"\x00")
    version = struct.pack("<I", 0x05010100)  # 5.1.1.0
    return (signature + version + struct.pack("<III", flags, 0, 0)).ljust(256, b"\x00")


def make_hwp(
    path: Path,
    paragraphs: Sequence[str | Table] | None = None,
    *,
    sections: Sequence[Sequence[str | Table]] | None = None,
    compressed: bool = True,
    flags: int = 0,
) -> Path:
    """An HWP 5 document: an OLE compound file with FileHeader, DocInfo and one
    BodyText/SectionN per section (zlib-compressed records when `compressed`)."""
    if sections is None:
        sections = [paragraphs or []]
    flags |= HWP_COMPRESSED if compressed else 0
    pack = _deflate if compressed else (lambda data: data)
    doc_info = hwp_record(
        HWPTAG_DOCUMENT_PROPERTIES, 0, struct.pack("<H", len(sections)) + b"\x00" * 24
    )
    streams = {
        "FileHeader": hwp_file_header(flags),
        "DocInfo": pack(doc_info),
    }
    for i, blocks in enumerate(sections):
        streams[f"BodyText/Section{i}"] = pack(hwp_section_records(blocks))
    write_cfb(path, streams)
    return path


# --- A minimal OLE compound file (CFB v3) writer ----------------------------------------

_SECTOR, _MINI, _CUTOFF = 512, 64, 4096
_END, _FREE, _FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
_NONE = 0xFFFFFFFF


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    sid: int = 0
    left: int = _NONE
    right: int = _NONE
    child: int = _NONE
    start: int = _END


def _cfb_key(entry: _Entry) -> tuple[int, str]:
    # The compound file's sibling order: shorter names first, then by upper case.
    return (len(entry.name), entry.name.upper())


def _balanced(children: list[_Entry]) -> int:
    """Links `children` as a binary search tree (left/right siblings); returns its root id."""
    if not children:
        return _NONE
    middle = len(children) // 2
    root = children[middle]
    root.left = _balanced(children[:middle])
    root.right = _balanced(children[middle + 1 :])
    return root.sid


def write_cfb(path: Path, streams: Mapping[str, bytes]) -> None:
    """Writes a compound file holding `streams` ("Storage/Stream" names make storages)."""
    root = _Entry("Root Entry", 5)
    for name, data in streams.items():
        *storages, leaf = name.split("/")
        parent = root
        for storage in storages:
            found = next((c for c in parent.children if c.name == storage and c.kind == 1), None)
            if found is None:
                found = _Entry(storage, 1)
                parent.children.append(found)
            parent = found
        parent.children.append(_Entry(leaf, 2, data))
    entries: list[_Entry] = []
    queue = [root]
    while queue:
        entry = queue.pop(0)
        entry.sid = len(entries)
        entries.append(entry)
        entry.children.sort(key=_cfb_key)
        queue.extend(entry.children)
    for entry in entries:
        entry.child = _balanced(entry.children)

    fat: list[int] = []
    body = bytearray()

    def allocate(data: bytes) -> int:
        count = max(1, -(-len(data) // _SECTOR))
        start = len(fat)
        fat.extend(range(start + 1, start + count))
        fat.append(_END)
        body.extend(data.ljust(count * _SECTOR, b"\x00"))
        return start

    # Small streams live in the mini stream (64-byte mini sectors, own FAT).
    mini = bytearray()
    minifat: list[int] = []
    for entry in entries:
        if entry.kind == 2 and len(entry.data) < _CUTOFF:
            if not entry.data:
                entry.start = _END
                continue
            count = -(-len(entry.data) // _MINI)
            entry.start = len(minifat)
            minifat.extend(range(entry.start + 1, entry.start + count))
            minifat.append(_END)
            mini.extend(entry.data.ljust(count * _MINI, b"\x00"))
    root.start = allocate(bytes(mini)) if mini else _END
    for entry in entries:
        if entry.kind == 2 and len(entry.data) >= _CUTOFF:
            entry.start = allocate(entry.data)

    directory = b"".join(_dir_entry(e, len(mini) if e is root else len(e.data)) for e in entries)
    first_dir = allocate(directory.ljust(-(-len(directory) // _SECTOR) * _SECTOR, b"\x00"))
    first_minifat, minifat_sectors = _END, 0
    if minifat:
        table = struct.pack(f"<{len(minifat)}I", *minifat)
        minifat_sectors = -(-len(table) // _SECTOR)
        first_minifat = allocate(table.ljust(minifat_sectors * _SECTOR, b"\xff"))

    fat_sectors = 1
    while (len(fat) + fat_sectors) > fat_sectors * (_SECTOR // 4):
        fat_sectors += 1
    if fat_sectors > 109:
        raise ValueError("write_cfb: files past ~6.8 MB need DIFAT sectors (not written here)")
    fat_ids = list(range(len(fat), len(fat) + fat_sectors))
    fat.extend([_FATSECT] * fat_sectors)
    fat.extend([_FREE] * (fat_sectors * (_SECTOR // 4) - len(fat)))
    body.extend(struct.pack(f"<{len(fat)}I", *fat))

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        bytes.fromhex("D0CF11E0A1B11AE1"),
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        fat_sectors,
        first_dir,
        0,
        _CUTOFF,
        first_minifat,
        minifat_sectors,
        _END,
        0,
    )
    header += struct.pack("<109I", *(fat_ids + [_FREE] * (109 - fat_sectors)))
    path.write_bytes(header + bytes(body))


def _dir_entry(entry: _Entry, size: int) -> bytes:
    name = entry.name.encode("utf-16le") + b"\x00\x00"
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        entry.kind,
        1,
        entry.left,
        entry.right,
        entry.child,
        b"\x00" * 16,
        0,
        0,
        0,
        entry.start if entry.kind != 1 else 0,
        size if entry.kind != 1 else 0,
    )


# --- Hostile and damaged files -----------------------------------------------------------


def _zip_member(
    name: str, raw: bytes, crc: int, size: int, method: int, offset: int
) -> tuple[bytes, bytes]:
    encoded = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(raw), size, len(encoded), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        method,
        0,
        0x21,
        crc,
        len(raw),
        size,
        len(encoded),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    return local + encoded + raw, central + encoded


def make_zip_bomb(path: Path, unpacked_mib: int = 2048) -> Path:
    """A .docx-shaped zip whose word/document.xml inflates to `unpacked_mib` MiB of zeros
    from a few MB: the deflate stream of 1 MiB of zeros, full-flushed so that it can be
    repeated byte for byte, then an empty final block. Written in well under a second."""
    block = b"\x00" * (1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    raw = segment * unpacked_mib + b"\x03\x00"
    crc = 0
    for _ in range(unpacked_mib):
        crc = zlib.crc32(block, crc)
    members = [
        ("[Content_Types].xml", b'<?xml version="1.0"?><Types/>'),
    ]
    out, directory = bytearray(), bytearray()
    for name, data in members:
        local, central = _zip_member(name, data, zlib.crc32(data), len(data), 0, len(out))
        out += local
        directory += central
    local, central = _zip_member("word/document.xml", raw, crc, unpacked_mib << 20, 8, len(out))
    out += local
    directory += central
    count = len(members) + 1
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, len(directory), len(out), 0)
    path.write_bytes(bytes(out + directory + end))
    return path


def make_html(
    path: Path,
    title: str,
    sections: Sequence[tuple[str, Sequence[str]]],
    *,
    encoding: str = "utf-8",
    script: str = "alert('never shown');",
) -> Path:
    """An HTML page: a title, then per section an <h2> and its <p> paragraphs, plus a script
    and a style whose text must not come out."""
    body = "".join(
        f"<h2>{escape(heading)}</h2>" + "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        for heading, paragraphs in sections
    )
    page = (
        f'<!DOCTYPE html><html><head><meta charset="{encoding}"><title>{escape(title)}</title>'
        f"<style>body {{ color: red; }}</style><script>{script}</script></head>"
        f"<body>{body}</body></html>"
    )
    path.write_bytes(page.encode(encoding))
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cuts the file to `fraction` of its length, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path
