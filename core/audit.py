"""Audit-trail context: who, through which channel, and why.

Every write runs inside ``pghistory.context``; the database triggers attach that
context to each event row. The middleware sets the user and the channel (page,
api, admin); tasks and commands use ``audit_context(channel=...)``; services add
the ``reason``.
"""

import uuid
from contextlib import contextmanager

import pghistory
import pghistory.runtime as pghistory_runtime
import pgtrigger
from pghistory.middleware import HistoryMiddleware


def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/admin/"):
        return "admin"
    return "page"


def actor_metadata(actor) -> dict:
    """Who, frozen as they were at that moment: renaming a user later never rewrites who did old changes."""
    if actor is None or getattr(actor, "pk", None) is None:
        return {}
    return {
        "user": actor.pk,
        "username": actor.get_username(),
        "printed_name": getattr(actor, "display_name", "") or actor.get_username(),
    }


class AuditMiddleware(HistoryMiddleware):
    def get_context(self, request):
        user = getattr(request, "user", None)
        frozen = actor_metadata(user) if user is not None and user.is_authenticated else {}
        return super().get_context(request) | frozen | {"channel": channel_for_path(request.path)}


@contextmanager
def audit_context(*, actor=None, channel: str | None = None, reason: str | None = None):
    """Enter an audit context: who (frozen name), through which channel, why.

    Attribution is per call, not per transaction: inside an outer context (the request's, a command's) a call
    that adds or changes who or why gets a context of its own, so two edits by two people (or with two
    reasons) in one transaction are each attributed to theirs. pghistory re-sends the current context with
    every statement, so swapping it for the block is enough (pghistory 3.9, ``runtime._tracker``).
    """
    metadata = actor_metadata(actor)
    if channel:
        metadata["channel"] = channel
    if reason:
        metadata["reason"] = reason
    current = getattr(pghistory_runtime._tracker, "value", None)
    if current is None:
        with pghistory.context(**metadata) as ctx:
            yield ctx
        return
    merged = {**current.metadata, **metadata}
    if merged == current.metadata:
        yield current
        return
    own = pghistory_runtime.Context(id=uuid.uuid4(), metadata=merged)
    pghistory_runtime._tracker.value = own
    try:
        yield own
    finally:
        pghistory_runtime._tracker.value = current


def audited(**extra):
    """Track inserts, updates and deletes in an append-only event table (GxP audit trail).

    Events are written by PostgreSQL triggers, so ``QuerySet.update()``, ``bulk_update``
    and raw SQL are captured too; UPDATE, DELETE and TRUNCATE on the event table fail.
    """
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        append_only=True,
        meta={
            "triggers": [
                pgtrigger.Trigger(
                    name="no_truncate",
                    operation=pgtrigger.Truncate,
                    level=pgtrigger.Statement,
                    when=pgtrigger.Before,
                    # The test suite's flush between transactional tests sets cmo.test_flush
                    # on its own session (tests/conftest.py); nothing else does.
                    func=(
                        "IF current_setting('cmo.test_flush', true) = 'on' THEN RETURN NULL; END IF; "
                        "RAISE EXCEPTION 'The audit trail is append-only: TRUNCATE is refused'; RETURN NULL;"
                    ),
                ),
            ]
        },
        **extra,
    )
