"""The application's database role cannot rewrite the GxP record (issue 11, findings 1 and 2).

As a role granted exactly like the application's (``cmo_portal.db_roles.grant_application_role``), on a
real PostgreSQL: UPDATE, DELETE and TRUNCATE of every audit-event table and of the signatures fail, also
after ``SET pgtrigger.ignore``; dropping or disabling triggers, altering tables and creating tables fail;
the ordinary work of the portal (an audited update) succeeds and is audited.
"""

import psycopg2
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from cmo_portal.apps import refuse_superuser
from cmo_portal.db_roles import append_only_tables, grant_application_role, is_superuser
from projects import services as project_services
from projects.change_requests import services as change_request_services
from projects.milestones import services as milestone_services
from tests.clients.factories import PASSWORD
from tests.conftest import second_connection

pytestmark = pytest.mark.django_db(transaction=True)
PROBE_ROLE = "cmo_app_probe"


@pytest.fixture
def app_role(world):
    """A connection to the test database as a role granted like the application's."""
    grant_application_role(connection, PROBE_ROLE, "probe-password-1")
    settings = connection.settings_dict
    probe = psycopg2.connect(
        dbname=settings["NAME"],
        user=PROBE_ROLE,
        password="probe-password-1",
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    yield probe
    probe.close()


def refused(probe, sql: str, params=None) -> bool:
    """True when PostgreSQL refuses the statement (nothing is changed either way)."""
    try:
        with probe.cursor() as cursor:
            cursor.execute(sql, params)
    except (psycopg2.errors.InsufficientPrivilege, psycopg2.errors.RaiseException) as error:
        probe.rollback()
        return "permission denied" in str(error) or "must be owner" in str(error)
    probe.rollback()
    return False


@pytest.fixture
def signed(world):
    """A real signature and audit events to attack."""
    project_services.project_start(actor=world.pm, project=world.project_a)
    milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=50)
    change = change_request_services.change_request_create(actor=world.pm, project=world.project_a, title="Extra batch")
    change_request_services.change_request_submit(actor=world.pm, change=change)
    change_request_services.change_request_decide(
        actor=world.approver_a, change=change, password=PASSWORD, approve=True
    )
    return world


def test_the_application_role_is_not_a_superuser_and_cannot_touch_the_record(signed, app_role):
    with app_role.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False, False)
    tables = append_only_tables()
    assert "projects_signature" in tables
    assert "projects_milestoneevent" in tables
    assert len(tables) > 15
    for table in tables:
        with app_role.cursor() as cursor:
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s AND column_name = 'pgh_id'",
                [table],
            )
            key = "pgh_id" if cursor.fetchone() else "id"
        app_role.rollback()
        assert refused(app_role, f'UPDATE "{table}" SET {key} = {key}'), table
        assert refused(app_role, f'DELETE FROM "{table}"'), table
        assert refused(app_role, f'TRUNCATE "{table}"'), table


def test_no_session_setting_lifts_the_protection(signed, app_role):
    with app_role.cursor() as cursor:
        cursor.execute("SET pgtrigger.ignore = '{projects_milestoneevent:pgtrigger_append_only_update}'")
        cursor.execute("SET cmo.test_flush = 'on'")
    assert refused(app_role, "UPDATE projects_milestoneevent SET pgh_label = 'rewritten'")
    assert refused(app_role, "DELETE FROM projects_signature")
    assert refused(app_role, "TRUNCATE projects_milestoneevent")


def test_the_application_role_cannot_change_the_schema_or_the_triggers(signed, app_role):
    with app_role.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'projects_milestone'::regclass AND NOT tgisinternal LIMIT 1"
        )
        trigger = cursor.fetchone()[0]
    app_role.rollback()
    assert refused(app_role, f'DROP TRIGGER "{trigger}" ON projects_milestone')
    assert refused(app_role, "ALTER TABLE projects_milestone DISABLE TRIGGER ALL")
    assert refused(app_role, "ALTER TABLE projects_milestoneevent ADD COLUMN forged text")
    assert refused(app_role, "DROP TABLE projects_milestoneevent")
    assert refused(app_role, "CREATE TABLE forged (id int)")


def test_the_application_role_does_its_ordinary_work_and_it_is_audited(signed, app_role):
    milestone = signed.milestone_a
    with app_role.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM projects_milestoneevent WHERE pgh_obj_id = %s", [milestone.pk])
        before = cursor.fetchone()[0]
        cursor.execute("UPDATE projects_milestone SET name = %s WHERE id = %s", ["Renamed by the app", milestone.pk])
        cursor.execute("SELECT count(*) FROM projects_milestoneevent WHERE pgh_obj_id = %s", [milestone.pk])
        assert cursor.fetchone()[0] == before + 1
    app_role.commit()


def test_production_refuses_a_superuser_connection():
    assert is_superuser(connection), "the test runner connects as the schema owner (a superuser here)"
    with pytest.raises(ImproperlyConfigured, match="superuser"):
        refuse_superuser(sender=None, connection=connection)


@pytest.mark.django_db(transaction=False)
def test_migrate_as_owner_creates_and_grants_the_application_role_on_a_fresh_database(tmp_path):
    """The operators' contract: DATABASE_OWNER_URL migrates a fresh database and creates DATABASE_URL's role."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    from urllib.parse import quote

    settings = connection.settings_dict
    name = f"cmo_roles_probe_{os.getpid()}"
    role = f"cmo_app_fresh_{os.getpid()}"
    host = quote(settings["HOST"] or "127.0.0.1", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""

    def url(user: str, password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgres://{user}{secret}@{host}{port}/{name}"

    owner = second_connection(settings)
    owner.autocommit = True
    with owner.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cmo_portal.settings.production",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "localhost",
            "DATABASE_URL": url(role, "fresh-app-password"),
            "DATABASE_OWNER_URL": url(settings["USER"], settings["PASSWORD"] or ""),
        }
        root = Path(__file__).resolve().parent.parent
        out = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "1"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
        assert f"Granted the application role '{role}'" in out.stdout
        # The application then runs as that role (production refuses a superuser; this one is not).
        check = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from projects.models import Project; print('projects', Project.objects.count())",
            ],
            cwd=root,
            env={k: v for k, v in env.items() if k != "DATABASE_OWNER_URL"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert check.returncode == 0, check.stderr[-3000:]
        assert "projects 0" in check.stdout
        app = psycopg2.connect(
            dbname=name,
            user=role,
            password="fresh-app-password",
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
        )
        try:
            assert refused(app, "DELETE FROM projects_signature")
            assert refused(app, "UPDATE projects_milestoneevent SET pgh_label = 'x'")
            assert refused(app, "CREATE TABLE forged (id int)")
        finally:
            app.close()
    finally:
        with owner.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'DROP ROLE IF EXISTS "{role}"')
        owner.close()
