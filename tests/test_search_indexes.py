"""Search is served by its GIN indexes, and a document is found by the text of its file.

Each searchable kind's query must compute exactly the expression its index (projects migration 0010) is built on,
or PostgreSQL silently falls back to computing every row's vector: the plan of every kind's query, with sequential
scans discouraged, must name the kind's index. Adding a kind without its index fails here.
"""

import functools
import io
import zipfile

import pytest
from django.db import connection, transaction

from projects.documents.file_types import DOCX, PDF, TEXT, XLSX
from projects.documents.tasks import extract_document_text
from projects.documents.text import MAX_CHARS, extract_text
from projects.search.kinds import KINDS
from projects.search.selectors import kind_matches, search, search_query
from tests.projects.document_factories import make_document, upload

pytestmark = pytest.mark.django_db

INDEX_OF_KIND = {
    "project": "project_search_gin",
    "milestone": "milestone_search_gin",
    "change_request": "change_request_search_gin",
    "issue": "issue_search_gin",
    "risk": "risk_search_gin",
    "quality_event": "quality_event_search_gin",
    "document": "document_search_gin",
}


def test_every_kind_has_an_index():
    assert {kind.key for kind in KINDS} == set(INDEX_OF_KIND)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.key)
@pytest.mark.parametrize("role", ["leadership", "pm"])  # a client's scope is found by its client index first
def test_each_kinds_query_uses_its_gin_index(world, kind, role):
    queryset = kind_matches(kind, getattr(world, role), search_query("deviation cleaning"))
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert INDEX_OF_KIND[kind.key] in plan, plan


@functools.cache
def real_pdf(text: str) -> bytes:
    """A PDF as a word processor makes one (fonts, xref): WeasyPrint's."""
    from weasyprint import HTML

    return HTML(string=f"<p>{text}</p>").write_pdf()


def _docx(paragraphs: list[str]) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{p[:3]}</w:t></w:r><w:r><w:t>{p[3:]}</w:t></w:r></w:p>" for p in paragraphs)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/document.xml", f'<?xml version="1.0"?><w:document><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def _xlsx(strings: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("xl/sharedStrings.xml", "<sst>" + "".join(f"<si><t>{s}</t></si>" for s in strings) + "</sst>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "content_type", "expected"),
    [
        (real_pdf("Endotoxin result conforms"), PDF, "Endotoxin result conforms"),
        (_docx(["Protocol for cleaning validation", "Acceptance &amp; limits"]), DOCX, "cleaning validation"),
        (_docx(["Protocol for cleaning validation", "Acceptance &amp; limits"]), DOCX, "Acceptance & limits"),
        (_xlsx(["Assay", "Bioburden"]), XLSX, "Assay Bioburden"),
        ("Lot 42 — residual solvents\x00 pass".encode(), TEXT, "Lot 42 — residual solvents pass"),
    ],
)
def test_text_is_read_from_every_type_that_has_text(content, content_type, expected):
    assert expected in extract_text(io.BytesIO(content), content_type)


def test_unreadable_or_huge_files_give_bounded_text_and_never_fail():
    assert extract_text(io.BytesIO(b"%PDF-1.4 garbage"), PDF) == ""
    # Truncated (a broken transfer): without its end (cross-reference table, %%EOF) pypdf reads no page at all, so the
    # text is "" and the document is found by its title only; the intact file's text is read.
    assert extract_text(io.BytesIO(real_pdf("x")), PDF) == "x"
    assert extract_text(io.BytesIO(real_pdf("x")[:-200]), PDF) == ""
    assert extract_text(io.BytesIO(b"PK\x03\x04 not a zip"), DOCX) == ""
    assert len(extract_text(io.BytesIO(b"word " * (MAX_CHARS)), TEXT)) == MAX_CHARS
    # A zip bomb: 200 MB of zeros compressed to ~200 KB is read only up to the bound.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", b"<w:t>" + b"0" * 200_000_000 + b"</w:t>")
    text = extract_text(io.BytesIO(buffer.getvalue()), DOCX)
    assert len(text) <= MAX_CHARS


def test_a_document_is_found_by_its_files_text_only_by_those_who_may_open_it(world):
    shared = make_document(
        world.project_a, world.pm, title="Lot 42 release", file=upload("coa.pdf", real_pdf("Endotoxin conforms"))
    )
    internal = make_document(
        world.project_a,
        world.pm,
        title="Yield note",
        visibility="internal",
        file=upload("note.txt", b"Endotoxin excursion root cause: operator"),
    )

    def found(user) -> set[int]:
        groups = {g.kind: g for g in search(user=user, text="endotoxin")}
        return {hit.pk for hit in groups["document"].hits}

    assert found(world.pm) == set()  # the text is read by a worker once the upload committed
    for document in (shared, internal):
        extract_document_text(document.pk)  # what the worker runs (tests/projects/test_document_text.py)
    assert found(world.pm) == {shared.pk, internal.pk}
    assert found(world.approver_a) == {shared.pk}
    assert found(world.approver_b) == set()
    # A new version replaces the text searched.
    from projects.documents import services

    services.document_version_add(actor=world.pm, document=shared, file=upload("coa-v2.pdf", real_pdf("Sterile")))
    assert found(world.approver_a) == set()
    extract_document_text(shared.pk)
    assert found(world.approver_a) == set()
