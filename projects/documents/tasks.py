"""Celery tasks of documents (thin: ids in, a service call); the names stay "projects.tasks.*"."""

from celery import shared_task

from core.tasks import idempotent_task


@idempotent_task(
    name="projects.tasks.extract_document_text",
    soft_time_limit=120,
    time_limit=150,
    retry_backoff_max=300,
    max_retries=3,
)
def extract_document_text(document_id: int) -> bool:
    """Read the current version's text of a document for search, after its upload committed; idempotent."""
    from projects.documents.services import document_text_extract

    return document_text_extract(document_id=document_id)


@shared_task(name="projects.tasks.extract_pending_document_texts", acks_late=True, soft_time_limit=240, time_limit=300)
def extract_pending_document_texts() -> int:
    """Sweep (beat, every 10 minutes): the texts a down broker or a lost task left unread."""
    from projects.documents.services import document_text_extract, documents_without_text

    return sum(document_text_extract(document_id=pk) for pk in documents_without_text())


@shared_task(name="projects.tasks.verify_document_files", acks_late=True, soft_time_limit=480, time_limit=540)
def verify_document_files() -> dict:
    """Nightly (beat): every signed version's stored file re-hashed, least recently checked first, for at most
    ``INTEGRITY_TIME_BUDGET`` seconds (the next run goes on from there); the verdicts are what the pages show."""
    from projects.documents.services import document_files_verify

    run = document_files_verify()
    return {"checked": run.checked, "failed": run.failed}
