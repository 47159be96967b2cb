"""The integrity of stored document files: a page shows a signed version's verdict without opening its file; the
bytes are re-hashed nightly (beat), on download and before signing, and a changed file shows as an invalid signature
on every page and in the API from then on (at once when its size changed)."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pghistory.models import Events

from projects.documents import services
from projects.documents.models import DocumentVersion
from projects.documents.tasks import verify_document_files
from tests.conftest import api_as
from tests.projects.document_factories import pdf_bytes, upload
from tests.projects.test_documents import approve, issued

INVALID = "signature invalid (file changed since signed)"


@pytest.fixture(autouse=True)
def document_root(settings, tmp_path) -> Path:
    """Every test stores its files in a directory of its own (as in tests/projects/test_documents.py)."""
    root = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def signed_versions(world, count: int):
    """A shared document with ``count`` versions, each issued for review and approved by the client's approver."""
    document = issued(world)
    approve(world, document)
    for number in range(2, count + 1):
        services.document_version_add(
            actor=world.pm, document=document, file=upload(f"coa-v{number}.pdf", pdf_bytes(f"revision {number:02}"))
        )
        document.refresh_from_db()
        services.document_version_issue(actor=world.pm, version=document.current)
        document.refresh_from_db()
        approve(world, document)
    return document, list(DocumentVersion.objects.filter(document=document).order_by("number"))


def same_size_tamper(root, version) -> None:
    """Change one byte of the stored file: the size stays, only a re-hash can tell."""
    path = root / version.file.name
    original = path.read_bytes()
    changed = original.replace(b"lot 42", b"lot 43") if b"lot 42" in original else original[:-2] + b"X\n"
    assert len(changed) == len(original)
    assert changed != original
    path.write_bytes(changed)


def page(client, user, document) -> str:
    client.force_login(user)
    return client.get(reverse("document-detail", args=[document.pk])).content.decode()


def api_verdicts(user, document) -> list[list[str]]:
    versions = api_as(user).get(reverse("api:document-versions", args=[document.pk])).json()
    return [[s["verdict"] for s in v["signatures"]] for v in versions]


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every file the documents storage opens (its own ``open`` wrapped: a measurement, the files are really read)."""
    names: list[str] = []
    storage = storages["documents"]
    real_open = storage.open

    def counting_open(name, mode="rb"):
        names.append(name)
        return real_open(name, mode)

    monkeypatch.setattr(storage, "open", counting_open)
    return names


def test_showing_signed_versions_opens_no_stored_file(world, client, opened):
    document, versions = signed_versions(world, 4)
    opened.clear()
    with CaptureQueriesContext(connection) as few:
        text = page(client, world.approver_a, document)
    assert text.count("signature valid") >= 1
    assert INVALID not in text
    assert api_verdicts(world.pm, document) == [["valid"]] * 4
    assert opened == []  # 4 signed versions shown on the page and in the API: no stored file read
    other, _ = signed_versions(world, 1)
    with CaptureQueriesContext(connection) as one:
        page(client, world.approver_a, other)
    assert len(few.captured_queries) == len(one.captured_queries)  # a fixed number of queries, too
    # A download does read its file (and re-hashes it first).
    opened.clear()
    client.get(reverse("document-version-download", args=[versions[0].pk]))
    assert opened == [versions[0].file.name, versions[0].file.name]


def test_the_nightly_check_flags_a_tampered_file_for_the_page_and_the_api(world, client, document_root):
    document, (first, second) = signed_versions(world, 2)
    same_size_tamper(document_root, first)
    assert api_verdicts(world.pm, document) == [["valid"], ["valid"]]  # same size: only the re-hash can tell

    run = verify_document_files()  # what beat runs nightly

    assert run == {"checked": 2, "failed": [first.pk]}
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.integrity_ok, second.integrity_ok) == (False, True)
    text = page(client, world.approver_a, document)
    assert INVALID in text
    assert api_verdicts(world.pm, document) == [["valid"], [INVALID]]
    assert api_verdicts(world.approver_a, document) == [["valid"], [INVALID]]
    # The finding is in the audit trail, with the task as channel; the check's time alone writes no event.
    (event,) = Events.objects.references([first]).filter(pgh_label="update", pgh_data__integrity_ok=False)
    assert event.pgh_context["channel"] == "task"
    assert "no longer matches" in event.pgh_context["reason"]
    updates = Events.objects.references([second]).filter(pgh_label="update").count()
    verify_document_files()  # idempotent: the same verdicts, no new event
    assert Events.objects.references([second]).filter(pgh_label="update").count() == updates
    # The file restored from a backup: the next night's check shows the signature valid again.
    (document_root / first.file.name).write_bytes(pdf_bytes())
    assert verify_document_files()["failed"] == []
    assert api_verdicts(world.pm, document) == [["valid"], ["valid"]]


def test_a_download_rehashes_the_file_and_a_changed_one_shows_invalid_from_then_on(world, client, document_root):
    document, (version,) = signed_versions(world, 1)
    same_size_tamper(document_root, version)
    assert INVALID not in page(client, world.viewer_a, document)
    download = client.get(reverse("document-version-download", args=[version.pk]))
    assert download.status_code == 200  # still served: the reader sees what is stored, the page says it changed
    assert b"".join(download.streaming_content) == (document_root / version.file.name).read_bytes()
    assert INVALID in page(client, world.viewer_a, document)
    assert api_verdicts(world.viewer_a, document) == [[INVALID]]
    # Through the API's download as well, and a restored file is valid again after its next download.
    (document_root / version.file.name).write_bytes(pdf_bytes())
    assert api_as(world.pm).get(reverse("api:document-download", args=[document.pk, 1])).status_code == 200
    assert api_verdicts(world.viewer_a, document) == [["valid"]]


def test_a_file_of_another_size_or_gone_shows_at_the_next_display_without_a_check(world, client, document_root):
    document, (version,) = signed_versions(world, 1)
    (document_root / version.file.name).write_bytes(pdf_bytes("tampered result: PASS, a longer text"))
    assert INVALID in page(client, world.approver_a, document)
    (document_root / version.file.name).unlink()
    assert services.FILE_MISSING in page(client, world.approver_a, document)
    assert verify_document_files()["failed"] == [version.pk]


def test_versions_never_checked_show_by_their_size_until_the_first_nightly_run(world, client):
    document, (version,) = signed_versions(world, 1)
    DocumentVersion.objects.filter(pk=version.pk).update(integrity_ok=None, integrity_checked_at=None)  # before 0011
    assert api_verdicts(world.pm, document) == [["valid"]]
    verify_document_files()
    version.refresh_from_db()
    assert version.integrity_ok is True
    assert version.integrity_checked_at is not None


def test_the_nightly_check_reads_in_batches_and_a_cut_run_goes_on_the_next_night(world):
    _, versions = signed_versions(world, 5)
    unsigned = services.document_version_add(actor=world.pm, document=versions[0].document, file=upload())
    assert unsigned.integrity_ok is True  # the bytes stored are the bytes hashed at upload
    DocumentVersion.objects.update(integrity_checked_at=None, integrity_ok=None)

    first = services.document_files_verify(batch_size=2, time_budget=0)  # stops after its first batch
    assert first.checked == 2
    second = services.document_files_verify(batch_size=2, time_budget=0)
    assert second.checked == 2
    checked = set(DocumentVersion.objects.filter(integrity_ok=True).values_list("pk", flat=True))
    assert checked == {v.pk for v in versions[:4]}  # least recently checked first, never one twice
    assert services.document_files_verify(batch_size=2).checked == 5  # a full run: every signed version
    unsigned.refresh_from_db()
    assert unsigned.integrity_ok is None  # the nightly run reads signed versions only

    def statements(due: list[DocumentVersion]) -> int:
        """Statements of a run that finds ``due`` unchecked (the others were checked after it started)."""
        DocumentVersion.objects.update(integrity_checked_at=timezone.now() + dt.timedelta(hours=1))
        DocumentVersion.objects.filter(pk__in=[v.pk for v in due]).update(integrity_checked_at=None)
        with CaptureQueriesContext(connection) as queries:
            assert services.document_files_verify(batch_size=500).checked == len(due)
        return len(queries.captured_queries)

    assert statements(versions) == statements(versions[:2])  # set-based: they do not grow with the versions


def test_the_nightly_check_is_in_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["verify-document-files"]
    assert entry["task"] == "projects.tasks.verify_document_files"


def test_a_storage_that_fails_otherwise_stores_no_verdict_and_the_next_run_checks_it(world, monkeypatch):
    _, (first, second) = signed_versions(world, 2)
    DocumentVersion.objects.update(integrity_checked_at=None, integrity_ok=None)
    storage = storages["documents"]
    real_open = storage.open

    def object_store_outage(name, mode="rb"):  # a fault of the storage (an S3 outage), not a missing file
        if name == first.file.name:
            raise RuntimeError("503 Slow Down")
        return real_open(name, mode)

    monkeypatch.setattr(storage, "open", object_store_outage)
    run = services.document_files_verify()
    assert (run.checked, run.failed) == (1, [])
    first.refresh_from_db()
    assert (first.integrity_ok, first.integrity_checked_at) == (None, None)  # not "changed": not checked
    monkeypatch.setattr(storage, "open", real_open)
    assert services.document_files_verify(batch_size=1, time_budget=0).checked == 1  # the next run: it first of all
    first.refresh_from_db()
    assert first.integrity_ok is True


def test_a_german_reader_reads_the_verdict_in_german_and_the_api_keeps_its_value(world, client, document_root):
    """The verdict is a stable value (API, audit trail); the page shows its translation in the reader's language."""
    from clients import services as client_services

    document, (version,) = signed_versions(world, 1)
    (document_root / version.file.name).write_bytes(pdf_bytes("tampered result: PASS, a longer text"))
    client_services.user_language_set(actor=world.approver_a, user=world.approver_a, language="de")
    text = page(client, world.approver_a, document)
    assert "Signatur ungültig (Datei seit der Signatur geändert)" in text
    assert INVALID not in text
    assert api_verdicts(world.pm, document) == [[INVALID]]
