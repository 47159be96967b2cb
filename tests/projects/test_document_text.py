"""A document's text is read by a worker after its upload committed (never inside the upload's transaction): the
document is there and found by its title at once, by its text once the worker ran; a file whose text cannot be read
stays an uploaded document, found by its title."""

import io
import os
import shutil
import tempfile
import time
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from projects.documents import services
from projects.documents.models import Document
from projects.documents.tasks import extract_document_text, extract_pending_document_texts
from projects.search.selectors import search
from tests.projects.document_factories import make_document, upload


@pytest.fixture(autouse=True)
def document_root(settings, tmp_path) -> Path:
    """Every test stores its files in a directory of its own (as in tests/projects/test_documents.py)."""
    root = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def damaged_docx() -> bytes:
    """A DOCX whose text part is damaged (its compressed bytes overwritten): accepted as a DOCX, text unreadable."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        package.writestr("word/document.xml", "<w:t>Cleaning validation protocol</w:t>" * 50)
    data = bytearray(buffer.getvalue())
    start = data.index(b"word/document.xml") + len("word/document.xml")
    data[start + 4 : start + 40] = b"\xff" * 36
    return bytes(data)


def found(user, words: str) -> set[int]:
    groups = {group.kind: group for group in search(user=user, text=words)}
    return {hit.pk for hit in groups["document"].hits} if "document" in groups else set()


def test_the_upload_commits_without_the_text_and_asks_a_worker_for_it(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        document = make_document(
            world.project_a, world.pm, title="Lot 42 release", file=upload("note.txt", b"Endotoxin conforms")
        )
    assert len(callbacks) == 1  # sent once the upload committed
    document.refresh_from_db()
    assert (document.text, document.text_version) == ("", None)
    assert found(world.approver_a, "release") == {document.pk}  # by its title at once
    assert found(world.approver_a, "endotoxin") == set()

    assert extract_document_text(document.pk) is True  # what the worker runs

    document.refresh_from_db()
    assert document.text == "Endotoxin conforms"
    assert document.text_version == document.current
    assert found(world.approver_a, "endotoxin") == {document.pk}
    assert found(world.approver_b, "endotoxin") == set()
    assert extract_document_text(document.pk) is False  # idempotent: read once per version


def test_a_new_version_replaces_the_text_and_a_late_task_reads_the_current_one(
    world, django_capture_on_commit_callbacks
):
    document = make_document(world.project_a, world.pm, file=upload("v1.txt", b"Bioburden within limits"))
    extract_document_text(document.pk)
    with django_capture_on_commit_callbacks() as callbacks:
        services.document_version_add(actor=world.pm, document=document, file=upload("v2.txt", b"Sterility passed"))
    assert len(callbacks) == 1
    assert found(world.pm, "bioburden") == set()  # the superseded version's text is not searched any more
    assert extract_document_text(document.pk) is True
    assert extract_document_text(document.pk) is False  # the first upload's task, delivered late: nothing to do
    assert found(world.pm, "sterility") == {document.pk}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scan.pdf", b"%PDF-1.4\n% a scanned page, no text layer, damaged\n" + b"\x00\xff" * 64 + b"\n%%EOF\n"),
        ("damaged.docx", damaged_docx()),
    ],
    ids=["pdf", "docx"],
)
def test_a_file_whose_text_cannot_be_read_stays_uploaded_and_found_by_its_title(world, name, content):
    document = make_document(world.project_a, world.pm, title="Unreadable batch record", file=upload(name, content))
    assert extract_document_text(document.pk) is True
    document.refresh_from_db()
    assert (document.text, document.text_version) == ("", document.current)
    assert found(world.approver_a, "unreadable batch") == {document.pk}
    assert extract_document_text(document.pk) is False  # not retried for ever


def test_a_file_gone_before_the_worker_read_it_leaves_the_document_found_by_its_title(world, document_root):
    document = make_document(world.project_a, world.pm, title="Stability summary")
    (document_root / document.current.file.name).unlink()
    assert extract_document_text(document.pk) is True
    assert found(world.pm, "stability summary") == {document.pk}


def test_the_sweep_reads_the_texts_a_down_broker_never_sent(world):
    first = make_document(world.project_a, world.pm, title="A", file=upload("a.txt", b"Viscosity"))
    second = make_document(world.project_a, world.pm, title="B", file=upload("b.txt", b"Osmolality"))
    extract_document_text(first.pk)
    assert services.documents_without_text() == [second.pk]
    assert extract_pending_document_texts() == 1
    assert services.documents_without_text() == []
    assert found(world.pm, "osmolality") == {second.pk}


def _worker_documents_root(worker) -> Path:
    """Where the test worker stores and reads document files (cmo_portal/settings/test.py: per process)."""
    return Path(
        os.environ.get("DOCUMENTS_ROOT") or os.path.join(tempfile.gettempdir(), f"cmo-test-documents-{worker.pid}")
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reads_the_text_after_the_upload_committed(world, client, settings, celery_worker):
    root = _worker_documents_root(celery_worker)
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    client.force_login(world.pm)
    response = client.post(
        reverse("project-documents", args=[world.project_a.pk]),
        {
            "title": "Release certificate",
            "kind": "coa",
            "visibility": "shared",
            "file": upload("release.txt", b"Endotoxin below 0.5 EU/mL; appearance conforms"),
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    try:
        assert found(world.approver_a, "release certificate") == {document.pk}
        deadline = time.monotonic() + 60
        while not Document.objects.get(pk=document.pk).text and time.monotonic() < deadline:
            time.sleep(0.2)
        log = celery_worker.log_path.read_text()
        assert "endotoxin" in Document.objects.get(pk=document.pk).text.lower(), log[-3000:]
        assert found(world.approver_a, "endotoxin") == {document.pk}
        assert "Task projects.tasks.extract_document_text[" in log
    finally:
        shutil.rmtree(root / "projects" / str(world.project_a.pk), ignore_errors=True)
