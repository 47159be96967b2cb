"""What each kind of export job is: who may ask for it, how its parameters are checked and how its file is built.

``metrics`` declares the portfolio exports here; a higher layer adds its own at start-up
(``cmo_portal`` registers the audit trail PDF in its ``AppConfig.ready``), so this package never imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Progress = Callable[[int, int], None]  # (rows read, rows to read)


@dataclass(frozen=True)
class BuiltFile:
    content: bytes
    filename: str
    content_type: str
    rows: int


@dataclass(frozen=True)
class ExportKindSpec:
    kind: str
    #: Who may ask for it; checked when the job is asked for, when it is built and at every look and download.
    may_export: Callable[[Any], bool]
    #: The parameters as posted -> the parameters to store; raises ValidationError with a message for the user.
    clean_parameters: Callable[[Any, dict], dict]
    #: (user, parameters, progress) -> the file, built as ``user`` sees the report; ValidationError: not built.
    build: Callable[[Any, dict, Progress], BuiltFile]
    #: Called on each download (e.g. the audit report records a security event); None: nothing to record.
    on_download: Callable[[Any, Any], None] | None = None
    #: Where "Back to the report" points (a URL name).
    report_url_name: str = "portfolio"


EXPORT_KINDS: dict[str, ExportKindSpec] = {}


def export_kind_register(spec: ExportKindSpec) -> None:
    EXPORT_KINDS[spec.kind] = spec


def export_kind(kind: str) -> ExportKindSpec:
    """The spec of ``kind``; KeyError when no module registered it."""
    return EXPORT_KINDS[kind]
