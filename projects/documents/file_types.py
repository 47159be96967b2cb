"""Which uploaded files a document may be: the type is read from the bytes (``filetype``), never trusted from the
name or the browser, and must agree with the file's extension. Pure: no database, no storage."""

import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

import filetype
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"
TEXT = "text/plain"

#: The content types a document may have, each with the extensions its name may end with.
EXTENSIONS = {
    PDF: (".pdf",),
    PNG: (".png",),
    JPEG: (".jpg", ".jpeg"),
    XLSX: (".xlsx",),
    DOCX: (".docx",),
    CSV: (".csv",),
    TEXT: (".txt", ".csv"),
}
ACCEPTED = gettext_lazy("PDF, PNG, JPEG, XLSX, DOCX, CSV or plain text")
HEAD_BYTES = 8192
CHUNK = 64 * 1024
MARKUP_STARTS = (b"<", b"\xef\xbb\xbf<")
MARKUP_WORDS = (b"<html", b"<script", b"<!doctype", b"<svg", b"<body", b"<iframe", b"<?xml")


class FileRefused(ValueError):
    """The upload is not an accepted file; the message says why, in words for the uploader."""


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    size: int
    sha256: str


def _read_all(fileobj) -> tuple[bytes, int, str]:
    """The first ``HEAD_BYTES``, the size in bytes and the SHA-256 (hex) of a file object, read in chunks."""
    fileobj.seek(0)
    digest = hashlib.sha256()
    head = b""
    size = 0
    while chunk := fileobj.read(CHUNK):
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return head, size, digest.hexdigest()


def _ooxml_type(fileobj) -> str | None:
    """XLSX or DOCX when the zip is an Office Open XML package (it holds ``[Content_Types].xml``)."""
    try:
        with zipfile.ZipFile(fileobj) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return None
    finally:
        fileobj.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("xl/") for n in names):
        return XLSX
    if any(n.startswith("word/") for n in names):
        return DOCX
    return None


def _text_type(head: bytes, extension: str) -> str | None:
    """CSV or plain text: no NUL byte, valid UTF-8 in the head, and no markup (HTML, SVG, XML, script)."""
    if not head or b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # a multi-byte character cut at the end of the head is fine
            return None
    lowered = head.lower()
    if lowered.lstrip().startswith(MARKUP_STARTS) or any(word in lowered for word in MARKUP_WORDS):
        return None
    return CSV if extension == ".csv" else TEXT


def sniff(fileobj, *, name: str, max_bytes: int) -> CheckedFile:
    """Check an uploaded file: at most ``max_bytes`` (bytes), of an accepted type read from its content, named with
    an extension of that type. Raises ``FileRefused`` with the reason."""
    size = getattr(fileobj, "size", None)
    if size is not None and size > max_bytes:
        raise FileRefused(_too_large(size, max_bytes))
    head, size, sha256 = _read_all(fileobj)
    if size > max_bytes:
        raise FileRefused(_too_large(size, max_bytes))
    if size == 0:
        raise FileRefused(_("The file is empty."))
    extension = PurePath(name).suffix.lower()
    guessed = filetype.guess_mime(head)
    if guessed in ("application/zip", XLSX, DOCX) or head.startswith(b"PK\x03\x04"):
        content_type = _ooxml_type(fileobj)
    elif guessed in (PDF, PNG, JPEG):
        content_type = guessed
    elif guessed is None:
        content_type = _text_type(head, extension)
    else:
        content_type = None
    if content_type is None:
        raise FileRefused(
            _("This file's content is not an accepted type (%(accepted)s); nothing was stored.")
            % {"accepted": ACCEPTED}
        )
    if extension not in EXTENSIONS[content_type]:
        raise FileRefused(
            _(
                "The file is named “%(name)s” but its content is %(type)s; "
                "rename it with the right extension or upload the right file. Nothing was stored."
            )
            % {"name": PurePath(name).name, "type": content_type}
        )
    return CheckedFile(content_type=content_type, size=size, sha256=sha256)


def _too_large(size: int, max_bytes: int) -> str:
    return _("The file is %(size)s MB; the limit is %(limit)s MB.") % {
        "size": number_format(round(size / 1_048_576, 1), 1),
        "limit": number_format(round(max_bytes / 1_048_576), 0),
    }


def sha256_of(fileobj) -> str:
    """SHA-256 (hex) of a file object's bytes, read in chunks."""
    return _read_all(fileobj)[2]
