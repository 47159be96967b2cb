"""The searchable text of an uploaded file: read once at upload (``Document.text``), best effort, bounded.

A file whose text cannot be read (a scanned PDF, a damaged package) is still accepted: it is found by its title.
Bounded so that a hostile file costs little: at most ``MAX_PAGES`` PDF pages, ``MAX_XML_BYTES`` of decompressed
Office XML and ``MAX_CHARS`` characters kept.
"""

import html
import logging
import re
import zipfile

from projects.documents.file_types import CSV, DOCX, PDF, TEXT, XLSX

logger = logging.getLogger(__name__)

MAX_CHARS = 100_000
MAX_PAGES = 50
MAX_XML_BYTES = 5 * 1024 * 1024
_SPACES = re.compile(r"\s+")
_BREAK = re.compile(r"</(?:w:p|w:tc|si|c|row)>|<w:(?:tab|br|cr)\b[^>]*>")
_TAG = re.compile(r"<[^>]*>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()[:MAX_CHARS]


def _pdf_text(fileobj) -> str:
    from pypdf import PdfReader  # imported on use: only uploads of PDFs need it

    reader = PdfReader(fileobj)
    parts: list[str] = []
    length = 0
    for page in reader.pages[:MAX_PAGES]:
        part = page.extract_text() or ""
        parts.append(part)
        length += len(part)
        if length >= MAX_CHARS:
            break
    return " ".join(parts)


def _xml_text(package: zipfile.ZipFile, names: list[str]) -> str:
    """The text between the tags of the named members (no XML parser: nothing to expand, nothing to fetch)."""
    parts: list[str] = []
    for name in names:
        with package.open(name) as member:
            data = member.read(MAX_XML_BYTES)  # never decompress more than the bound, whatever the header says
        # Paragraph and cell ends become spaces; every other tag disappears.
        text = _TAG.sub("", _BREAK.sub(" ", data.decode("utf-8", "replace")))
        parts.append(html.unescape(text))
    return " ".join(parts)


def _ooxml_text(fileobj, content_type: str) -> str:
    with zipfile.ZipFile(fileobj) as package:
        names = set(package.namelist())
        if content_type == DOCX:
            wanted = ["word/document.xml"]
        else:
            wanted = ["xl/sharedStrings.xml"]
        return _xml_text(package, [n for n in wanted if n in names])


def extract_text(fileobj, content_type: str) -> str:
    """The file's text (spaces collapsed, at most ``MAX_CHARS``), or "" when none can be read."""
    try:
        fileobj.seek(0)
        if content_type == PDF:
            text = _pdf_text(fileobj)
        elif content_type in (DOCX, XLSX):
            text = _ooxml_text(fileobj, content_type)
        elif content_type in (CSV, TEXT):
            text = fileobj.read(MAX_CHARS * 4).decode("utf-8", "replace")
        else:
            return ""  # images: no text
    except Exception:  # best effort: a file whose text cannot be read is still a document, found by its title
        logger.info("document text not extracted", exc_info=True)
        return ""
    finally:
        fileobj.seek(0)
    return _clean(text)
