"""Where document files live: the ``documents`` storage of ``settings.STORAGES`` (local ``var/documents/`` by
default, S3-compatible by setting), looked up on every use so a changed setting (a test's) takes effect."""

from django.core.files.storage import Storage, storages

DOCUMENTS_STORAGE_ALIAS = "documents"


class DocumentStorage(Storage):
    """A proxy to ``storages["documents"]``: every attribute is the configured backend's own."""

    def __getattribute__(self, name):
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        return getattr(storages[DOCUMENTS_STORAGE_ALIAS], name)


def document_storage() -> Storage:
    """The storage of ``DocumentVersion.file`` (a callable, so migrations do not freeze the backend)."""
    return DocumentStorage()
