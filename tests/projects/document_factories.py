"""Files and documents for the tests of ``projects.documents``: real bytes of every accepted type and disguised ones."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

from projects.documents import services


def pdf_bytes(text: str = "Certificate of analysis, lot 42") -> bytes:
    body = f"BT /F1 12 Tf 72 712 Td ({text}) Tj ET".encode()
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n"
        + f"4 0 obj << /Length {len(body)} >> stream\n".encode()
        + body
        + b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" + b"\x00" * 16
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def ooxml_bytes(part: str) -> bytes:
    """A minimal Office Open XML package: ``[Content_Types].xml`` and one ``word/`` or ``xl/`` part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr(part, "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("payload.bin", "not an office document")
    return buffer.getvalue()


def upload(name: str = "coa-lot-42.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type="application/pdf")


def make_document(project, pm, *, title: str = "Certificate of analysis lot 42", visibility: str = "shared", **extra):
    """A document with its first version (a draft), through the service."""
    return services.document_create(
        actor=pm,
        project=project,
        title=title,
        kind=extra.pop("kind", "coa"),
        visibility=visibility,
        file=extra.pop("file", None) or upload(),
        **extra,
    )
