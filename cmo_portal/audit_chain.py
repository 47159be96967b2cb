"""Tamper evidence for the audit trail: every audit event is chained to the one before it by a hash.

Sealing (every minute, by beat, under an advisory lock) takes the committed events not sealed yet, in
order, and appends one ``AuditChainLink`` per event: ``content_hash`` = SHA-256 of the event row and of
its who/why context as PostgreSQL renders them (``row_to_json``), ``chain_hash`` = SHA-256 of the
previous link's ``chain_hash``, the event's table and id, and ``content_hash``. The application role may
not UPDATE or DELETE events or links (cmo_portal/db_roles.py); a superuser can, and ``audit_verify`` then
names the first event deleted, altered or slipped in below the sealed range. The head (the last
``chain_hash``) is shown on the audit reports so an inspector can note it and compare it later.
"""

import hashlib
from dataclasses import dataclass

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Max

GENESIS = "0" * 64
SEAL_LOCK = 7_400_001  # advisory lock key of the sealer (metrics/locks.py holds the app's other keys)


def event_tables() -> list[str]:
    import pghistory.models

    return sorted(
        m._meta.db_table
        for m in apps.get_models()
        if issubclass(m, pghistory.models.Event) and not m._meta.abstract and not m._meta.proxy
    )


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(previous: str, table: str, event_id: int, content_hash: str) -> str:
    return _sha256(f"{previous}|{table}|{event_id}|{content_hash}")


def _contents(table: str, *, after: int | None = None, ids: list[int] | None = None) -> list[tuple]:
    """(pgh_id, pgh_created_at, canonical text) of events of ``table``, by id."""
    quoted = connection.ops.quote_name(table)
    where, params = ("t.pgh_id > %s", [after]) if ids is None else ("t.pgh_id = ANY(%s)", [ids])
    sql = (
        f"SELECT t.pgh_id, t.pgh_created_at, row_to_json(t)::text || '|' || coalesce(c.metadata::text, '') "  # noqa: S608
        f"FROM {quoted} t LEFT JOIN pghistory_context c ON c.id = t.pgh_context_id WHERE {where} ORDER BY t.pgh_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def audit_seal() -> int:
    """Chain every committed, unsealed audit event; returns how many were sealed (0 if another sealer runs)."""
    from cmo_portal.models import AuditChainLink

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [SEAL_LOCK])
            if not cursor.fetchone()[0]:
                return 0
        last = AuditChainLink.objects.order_by("-pk").first()
        previous = last.chain_hash if last else GENESIS
        sealed_to = {
            row["event_table"]: row["top"]
            for row in AuditChainLink.objects.values("event_table").annotate(top=Max("event_id"))
        }
        pending = []
        for table in event_tables():
            for event_id, created, content in _contents(table, after=sealed_to.get(table, 0)):
                pending.append((created, table, event_id, _sha256(content)))
        pending.sort()
        links = []
        for created, table, event_id, content_hash in pending:
            previous = chain_hash(previous, table, event_id, content_hash)
            links.append(
                AuditChainLink(
                    event_table=table,
                    event_id=event_id,
                    event_created_at=created,
                    content_hash=content_hash,
                    chain_hash=previous,
                )
            )
        AuditChainLink.objects.bulk_create(links, batch_size=1000)
        return len(links)


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    links: int
    head: str
    problem: str = ""


def audit_verify() -> ChainReport:
    """Walk the chain: every link follows the one before, every sealed event still has the content it was
    sealed with, and no event sits below the sealed range unsealed. Names the first problem."""
    from cmo_portal.models import AuditChainLink

    previous = GENESIS
    links = list(
        AuditChainLink.objects.order_by("pk").values_list("event_table", "event_id", "content_hash", "chain_hash")
    )
    by_table: dict[str, list[int]] = {}
    for table, event_id, _, _ in links:
        by_table.setdefault(table, []).append(event_id)
    current = {
        (table, event_id): _sha256(content)
        for table, ids in by_table.items()
        for event_id, _, content in _contents(table, ids=ids)
    }
    for position, (table, event_id, content_hash, stored_chain) in enumerate(links, start=1):
        expected = chain_hash(previous, table, event_id, content_hash)
        if stored_chain != expected:
            return ChainReport(False, len(links), previous, f"link {position} ({table} #{event_id}) breaks the chain")
        if (table, event_id) not in current:
            return ChainReport(False, len(links), previous, f"audit event {table} #{event_id} was deleted")
        if current[(table, event_id)] != content_hash:
            return ChainReport(False, len(links), previous, f"audit event {table} #{event_id} was altered")
        previous = stored_chain
    for table in event_tables():
        sealed = set(by_table.get(table, []))
        top = max(sealed) if sealed else 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT pgh_id FROM {connection.ops.quote_name(table)} WHERE pgh_id <= %s ORDER BY pgh_id",  # noqa: S608
                [top],
            )
            for (event_id,) in cursor.fetchall():
                if event_id not in sealed:
                    return ChainReport(False, len(links), previous, f"audit event {table} #{event_id} was never sealed")
    return ChainReport(True, len(links), previous)


def chain_head() -> tuple[int, str]:
    """(number of sealed events, head hash) for the audit reports."""
    from cmo_portal.models import AuditChainLink

    last = AuditChainLink.objects.order_by("-pk").first()
    return (last.pk if last else 0, last.chain_hash if last else GENESIS)
