"""Least privilege in PostgreSQL: the owner role runs migrations, the application role only reads and writes rows.

The application role (``DATABASE_URL``) is not a superuser and owns nothing, so it cannot alter the
schema, drop or disable triggers, or bypass them; on the GxP record tables (every audit event table and
the e-signatures) it may only INSERT and SELECT: UPDATE, DELETE and TRUNCATE are refused by privileges,
not by triggers, so no session setting (``SET pgtrigger.ignore``) can lift them.
``manage.py migrate`` (run as the owner, ``DATABASE_OWNER_URL``) calls ``grant_application_role`` after
every migration, creating the role if it is missing.
"""

import re

from django.apps import apps
from django.db.backends.base.base import BaseDatabaseWrapper

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def append_only_tables() -> list[str]:
    """The GxP record tables: every pghistory event table and the signature table."""
    import pghistory.models

    tables = {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and not model._meta.abstract and not model._meta.proxy
    }
    tables.add(apps.get_model("projects", "Signature")._meta.db_table)
    tables.add(apps.get_model("cmo_portal", "AuditChainLink")._meta.db_table)
    tables.add(apps.get_model("clients", "SecurityEvent")._meta.db_table)
    return sorted(tables)


def _quote(connection: BaseDatabaseWrapper, name: str) -> str:
    return connection.ops.quote_name(name)


def grant_application_role(connection: BaseDatabaseWrapper, role: str, password: str | None = None) -> None:
    """Create ``role`` if missing (LOGIN, NOSUPERUSER, NOCREATEDB, NOCREATEROLE) and grant it exactly what the
    application needs; run as the schema's owner after migrations."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"Not a valid PostgreSQL role name for the application: {role!r}")
    role_q = _quote(connection, role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        row = cursor.fetchone()
        if row is None:
            cursor.execute(f"CREATE ROLE {role_q} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION")
        elif row[0]:
            raise ValueError(f"The application role {role!r} is a superuser: use a role that is not.")
        if password:
            cursor.execute(f"ALTER ROLE {role_q} PASSWORD %s", [password])
        cursor.execute("SELECT current_database()")
        database = _quote(connection, cursor.fetchone()[0])
        statements = [
            f"GRANT CONNECT ON DATABASE {database} TO {role_q}",
            f"REVOKE CREATE ON SCHEMA public FROM {role_q}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA public TO {role_q}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role_q}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role_q}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role_q}",
        ]
        for table in append_only_tables():
            statements.append(f"REVOKE UPDATE, DELETE, TRUNCATE ON {_quote(connection, table)} FROM {role_q}")
        for statement in statements:
            cursor.execute(statement)


def is_superuser(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
    return bool(row and row[0])
