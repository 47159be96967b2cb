"""Documents: uploads checked by content, versions, the client review with an e-signature over the file's bytes,
downloads through the access layer, and the audit trail of all of it."""

from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from pghistory.models import Events

from clients.models import SecurityEvent, SecurityEventKind
from projects.documents import services
from projects.documents.file_types import DOCX, XLSX, FileRefused, sniff
from projects.documents.models import Document, DocumentVersion, VersionStatus
from projects.models import Notification
from tests.clients.factories import PASSWORD
from tests.conftest import api_as
from tests.projects.document_factories import (
    EXE,
    HTML,
    JPEG,
    PNG,
    make_document,
    ooxml_bytes,
    pdf_bytes,
    plain_zip,
    upload,
)


@pytest.fixture(autouse=True)
def document_root(settings, tmp_path) -> Path:
    """Every test stores its files in a directory of its own, so "nothing stored" can be checked."""
    root = tmp_path / "documents"
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(root)}},
    }
    return root


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def issued(world, **extra) -> Document:
    document = make_document(world.project_a, world.pm, **extra)
    services.document_version_issue(actor=world.pm, version=document.current)
    document.refresh_from_db()
    return document


def approve(world, document, password=PASSWORD, approve=True):
    return services.document_version_decide(
        actor=world.approver_a, version=document.current, password=password, approve=approve
    )


# --- Content checks (pure) ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("coa.pdf", pdf_bytes(), "application/pdf"),
        ("chart.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("results.xlsx", ooxml_bytes("xl/workbook.xml"), XLSX),
        ("protocol.docx", ooxml_bytes("word/document.xml"), DOCX),
        ("values.csv", b"lot,assay\n42,99.1\n", "text/csv"),
        ("notes.txt", "Température 5 °C\n".encode(), "text/plain"),
    ],
)
def test_accepted_types_are_read_from_the_bytes(name, content, expected):
    checked = sniff(upload(name, content), name=name, max_bytes=10_000)
    assert checked.content_type == expected
    assert checked.size == len(content)


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("invoice.pdf", EXE, "not an accepted type"),
        ("coa.pdf", HTML, "not an accepted type"),
        ("notes.txt", HTML, "not an accepted type"),
        ("protocol.docx", plain_zip(), "not an accepted type"),
        ("coa.pdf", b"just text, named like a PDF\n", "its content is text/plain"),
        ("protocol.docx", pdf_bytes(), "its content is application/pdf"),
        ("empty.pdf", b"", "empty"),
    ],
)
def test_disguised_files_are_refused(name, content, why):
    with pytest.raises(FileRefused, match=why):
        sniff(upload(name, content), name=name, max_bytes=10_000)


# --- Refused uploads store nothing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tool.pdf", EXE, "not an accepted type"),
        ("coa.pdf", HTML, "not an accepted type"),
        ("big.pdf", pdf_bytes("x" * 3000), "the limit is"),
    ],
)
def test_oversized_or_disguised_upload_is_refused_and_stores_nothing(
    world, client, settings, document_root, name, content, message
):
    settings.DOCUMENT_MAX_BYTES = 2048
    client.force_login(world.pm)
    url = reverse("project-documents", args=[world.project_a.pk])
    response = client.post(
        url, {"title": "Lot 42", "kind": "coa", "visibility": "shared", "file": upload(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    api = api_as(world.pm).post(
        reverse("api:document-list"),
        {
            "project": world.project_a.pk,
            "title": "Lot 42",
            "kind": "coa",
            "visibility": "shared",
            "file": upload(name, content),
        },
        format="multipart",
    )
    assert api.status_code == 400
    assert message in api.json()["file"][0]
    assert not Document.objects.exists()
    assert not DocumentVersion.objects.exists()
    assert stored_files(document_root) == []
    # A refused new version stores nothing either, and the current version stays.
    document = make_document(world.project_a, world.pm)
    before = stored_files(document_root)
    response = client.post(
        reverse("document-detail", args=[document.pk]), {"action": "upload", "file": upload(name, content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored_files(document_root) == before
    assert DocumentVersion.objects.filter(document=document).count() == 1


def test_a_row_that_fails_after_the_file_is_stored_leaves_no_file(world, document_root):
    document = make_document(world.project_a, world.pm)
    before = stored_files(document_root)
    stray = DocumentVersion.objects.get(document=document)
    stray.pk, stray.number = None, 2  # a v2 row already exists: the next upload's row is refused
    stray.save()
    with pytest.raises(ValidationError):
        services.document_version_add(actor=world.pm, document=document, file=upload())
    assert stored_files(document_root) == before


# --- Access: 404 on every URL for an internal or another client's document --------------------------------


def test_client_never_reaches_internal_or_other_client_documents(world, client):
    internal_a = make_document(world.project_a, world.pm, title="Internal yield analysis", visibility="internal")
    shared_b = make_document(world.project_b, world.pm, title="Borealis secret protocol")
    services.document_version_issue(actor=world.pm, version=shared_b.current)
    shared_a = make_document(world.project_a, world.pm, title="Aurora shared CoA")
    for user in (world.viewer_a, world.approver_a):
        client.force_login(user)
        api = api_as(user)
        for document in (internal_a, shared_b):
            version = document.current
            for url in (
                reverse("document-detail", args=[document.pk]),
                reverse("document-version-download", args=[version.pk]),
                reverse("api:document-detail", args=[document.pk]),
                reverse("api:document-versions", args=[document.pk]),
                reverse("api:document-download", args=[document.pk, 1]),
            ):
                response = client.get(url) if not url.startswith("/api/") else api.get(url)
                assert response.status_code == 404, url
                assert document.title.encode() not in response.content
            for action in ("approve", "reject", "issue"):
                response = api.post(
                    reverse(f"api:document-{action}", args=[document.pk]), {"password": PASSWORD}, format="json"
                )
                assert response.status_code in (403, 404), action
            response = client.post(
                reverse("document-detail", args=[document.pk]),
                {"action": "sign", "decision": "approve", "password": PASSWORD},
            )
            assert response.status_code == 404
        listing = client.get(reverse("project-documents", args=[world.project_a.pk])).content.decode()
        assert shared_a.title in listing
        assert internal_a.title not in listing
        assert client.get(reverse("project-documents", args=[world.project_b.pk])).status_code == 404
        titles = [d["title"] for d in api.get(reverse("api:document-list")).json()["results"]]
        assert titles == [shared_a.title]
        # Their own shared document opens (the 404s above are about access, not a broken route).
        assert client.get(reverse("document-detail", args=[shared_a.pk])).status_code == 200
        assert client.get(reverse("document-version-download", args=[shared_a.current.pk])).status_code == 200
    shared_b.refresh_from_db()
    assert shared_b.current.status == VersionStatus.IN_REVIEW  # nobody outside decided it


def test_clients_are_not_shown_links_to_records(world):
    from tests.projects.factories import QualityEventFactory

    event = QualityEventFactory(project=world.project_a, title="Internal OOS", visibility="internal")
    document = make_document(world.project_a, world.pm, quality_event=event)
    assert api_as(world.pm).get(reverse("api:document-detail", args=[document.pk])).json()["quality_event"] == event.pk
    assert (
        api_as(world.viewer_a).get(reverse("api:document-detail", args=[document.pk])).json()["quality_event"] is None
    )


def test_links_must_be_of_the_same_project(world):
    from tests.projects.factories import BatchFactory

    with pytest.raises(ValidationError):
        make_document(world.project_a, world.pm, batch=BatchFactory(project=world.project_b))


# --- Versions --------------------------------------------------------------------------------------------


def test_a_new_upload_supersedes_and_old_versions_stay_readable(world, client):
    document = issued(world)
    first = document.current
    second = services.document_version_add(
        actor=world.pm, document=document, file=upload("coa-lot-42-rev.pdf", pdf_bytes("revised"))
    )
    document.refresh_from_db()
    first.refresh_from_db()
    assert (document.current, second.number) == (second, 2)
    assert first.status == VersionStatus.SUPERSEDED  # the review of v1 can no longer be signed
    with pytest.raises(ValidationError):
        services.document_version_decide(actor=world.approver_a, version=first, password=PASSWORD, approve=True)
    client.force_login(world.viewer_a)
    old = client.get(reverse("document-version-download", args=[first.pk]))
    assert b"".join(old.streaming_content) == pdf_bytes()
    page = client.get(reverse("document-detail", args=[document.pk])).content.decode()
    assert "coa-lot-42-rev.pdf" in page
    assert "coa-lot-42.pdf" in page
    versions = api_as(world.viewer_a).get(reverse("api:document-versions", args=[document.pk])).json()
    assert [(v["number"], v["status"]) for v in versions] == [(2, "draft"), (1, "superseded")]


def test_only_the_projects_manager_uploads(world):
    document = make_document(world.project_a, world.pm)
    for user in (world.other_pm, world.leadership, world.approver_a):
        with pytest.raises(PermissionDenied):
            services.document_version_add(actor=user, document=document, file=upload())


# --- Review workflow -------------------------------------------------------------------------------------


def test_issue_notifies_the_client_approvers_and_internal_documents_cannot_be_issued(world):
    document = issued(world)
    assert document.current.status == VersionStatus.IN_REVIEW
    notified = Notification.objects.filter(kind="document_issued").values_list("recipient__username", flat=True)
    assert list(notified) == ["approver_a"]
    internal = make_document(world.project_a, world.pm, visibility="internal")
    with pytest.raises(ValidationError, match="Share the document"):
        services.document_version_issue(actor=world.pm, version=internal.current)
    with pytest.raises(ValidationError):
        services.document_version_issue(actor=world.pm, version=document.current)  # already in review


def test_approver_signs_with_password_and_the_signature_covers_the_files_hash(world, client):
    document = issued(world)
    client.force_login(world.approver_a)
    url = reverse("document-detail", args=[document.pk])
    page = client.get(url).content.decode()
    assert "Review and sign" in page
    assert document.current.sha256 in page
    wrong = client.post(url, {"action": "sign", "decision": "approve", "password": "guess"})
    assert wrong.status_code == 400
    assert "The password is not correct" in wrong.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.SIGNATURE_FAILED, user=world.approver_a).count() == 1
    response = client.post(url, {"action": "sign", "decision": "approve", "password": PASSWORD, "comment": "Fine"})
    assert response.status_code == 302
    version = DocumentVersion.objects.get(pk=document.current_id)
    assert (version.status, version.decided_by) == (VersionStatus.APPROVED, world.approver_a)
    signature = version.e_signatures.get()
    assert signature.content["sha256"] == version.sha256
    assert signature.content["version_id"] == version.pk
    assert "signature valid" in client.get(url).content.decode()
    # A viewer may not sign; the PM may not either.
    client.force_login(world.viewer_a)
    assert client.post(url, {"action": "sign", "decision": "approve", "password": PASSWORD}).status_code == 404


def test_signing_locks_after_repeated_wrong_passwords(world):
    document = issued(world)
    for _ in range(5):
        with pytest.raises(ValidationError, match="not correct"):
            approve(world, document, password="guess")
    with pytest.raises(ValidationError, match="locked"):
        approve(world, document)
    assert not document.current.e_signatures.exists()


def test_a_signed_version_whose_stored_bytes_change_shows_signature_invalid(world, client, document_root):
    document = issued(world)
    approve(world, document)
    version = DocumentVersion.objects.get(pk=document.current_id)
    client.force_login(world.approver_a)
    url = reverse("document-detail", args=[document.pk])
    assert "signature valid" in client.get(url).content.decode()
    (document_root / version.file.name).write_bytes(pdf_bytes("tampered result: PASS"))
    page = client.get(url).content.decode()
    assert "signature invalid (file changed since signed)" in page
    assert "signature valid<" not in page
    verdicts = api_as(world.pm).get(reverse("api:document-versions", args=[document.pk])).json()[0]["signatures"]
    assert [s["verdict"] for s in verdicts] == [services.FILE_CHANGED]
    (document_root / version.file.name).unlink()
    assert services.FILE_MISSING in client.get(url).content.decode()


def test_a_version_whose_bytes_changed_before_signing_cannot_be_signed(world, document_root):
    document = issued(world)
    (document_root / document.current.file.name).write_bytes(pdf_bytes("swapped"))
    with pytest.raises(ValidationError, match="no longer matches"):
        approve(world, document)


def test_changed_record_fields_make_the_signature_invalid(world):
    document = issued(world)
    signature = approve(world, document)
    DocumentVersion.objects.filter(pk=document.current_id).update(original_filename="other.pdf")
    version = DocumentVersion.objects.select_related("document__project").get(pk=document.current_id)
    verdict = services.version_signature_verdict(signature, version, size=services.stored_size(version))
    assert verdict == services.RECORD_CHANGED


# --- Audit trail -----------------------------------------------------------------------------------------


def test_uploads_decisions_and_downloads_are_in_the_audit_trail(world, client):
    client.force_login(world.pm)
    response = client.post(
        reverse("project-documents", args=[world.project_a.pk]),
        {"title": "Stability protocol", "kind": "protocol", "visibility": "shared", "file": upload("stab.pdf")},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    version_events = Events.objects.references([document.current]).filter(pgh_label="insert")
    (event,) = version_events
    assert event.pgh_context["user"] == world.pm.pk
    assert event.pgh_context["channel"] == "page"
    assert event.pgh_context["reason"] == "Document uploaded: Stability protocol"
    assert event.pgh_data["sha256"] == document.current.sha256
    services.document_version_issue(actor=world.pm, version=document.current)
    client.force_login(world.approver_a)
    client.post(
        reverse("document-detail", args=[document.pk]),
        {"action": "sign", "decision": "reject", "password": PASSWORD, "comment": "Wrong storage temperature"},
    )
    decision = [
        e
        for e in Events.objects.references([document.current]).filter(pgh_label="update")
        if e.pgh_data.get("status") == "rejected"
    ]
    assert decision[0].pgh_context["reason"] == "Wrong storage temperature"
    assert decision[0].pgh_context["user"] == world.approver_a.pk
    download = client.get(reverse("document-version-download", args=[document.current.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="stab.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content) == pdf_bytes()
    api_download = api_as(world.approver_a).get(reverse("api:document-download", args=[document.pk, 1]))
    assert api_download.status_code == 200
    events = SecurityEvent.objects.filter(kind=SecurityEventKind.EXPORT, detail__export="document download")
    assert [(e.user, e.detail["document"], e.detail["version"]) for e in events] == [
        (world.approver_a, document.pk, 1),
        (world.approver_a, document.pk, 1),
    ]
    assert apps.get_model("projects", "DocumentVersionEvent").objects.filter(pgh_obj=document.current).count() >= 3


# --- API ---------------------------------------------------------------------------------------------------


def test_api_upload_versions_issue_and_approve(world):
    pm_api = api_as(world.pm)
    created = pm_api.post(
        reverse("api:document-list"),
        {
            "project": world.project_a.pk,
            "title": "Batch record summary B-001",
            "kind": "batch_record_summary",
            "visibility": "shared",
            "file": upload("brs.xlsx", ooxml_bytes("xl/workbook.xml")),
        },
        format="multipart",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["current"]["content_type"] == XLSX
    assert body["current"]["number"] == 1
    pk = body["id"]
    second = pm_api.post(
        reverse("api:document-versions", args=[pk]),
        {"file": upload("brs-v2.xlsx", ooxml_bytes("xl/workbook.xml"))},
        format="multipart",
    )
    assert second.status_code == 201
    assert second.json()["number"] == 2
    assert pm_api.post(reverse("api:document-issue", args=[pk])).json()["current"]["status"] == "in_review"
    assert (
        api_as(world.viewer_a).post(reverse("api:document-approve", args=[pk]), {"password": PASSWORD}).status_code
        == 403
    )
    wrong = api_as(world.approver_a).post(
        reverse("api:document-approve", args=[pk]), {"password": "guess"}, format="json"
    )
    assert wrong.status_code == 400
    assert "password" in wrong.json()
    signed = api_as(world.approver_a).post(
        reverse("api:document-approve", args=[pk]), {"password": PASSWORD}, format="json"
    )
    assert signed.status_code == 200
    assert signed.json()["meaning"] == "approval"
    assert signed.json()["verdict"] == "valid"
    listed = api_as(world.viewer_a).get(reverse("api:document-list") + "?status=approved&kind=batch_record_summary")
    assert [d["id"] for d in listed.json()["results"]] == [pk]
    assert api_as(world.viewer_a).get(reverse("api:document-list") + "?status=maybe").status_code == 400
    assert pm_api.post(reverse("api:document-approve", args=[pk]), {"password": PASSWORD}).status_code == 403


def test_page_list_filters_by_kind_and_status(world, client):
    make_document(world.project_a, world.pm, title="CoA lot 1")
    issued(world, title="Protocol P-7", kind="protocol")
    client.force_login(world.viewer_a)
    url = reverse("project-documents", args=[world.project_a.pk])
    page = client.get(url + "?kind=protocol").content.decode()
    assert "Protocol P-7" in page
    assert "CoA lot 1" not in page
    page = client.get(url + "?status=draft").content.decode()
    assert "CoA lot 1" in page
    assert "Protocol P-7" not in page
