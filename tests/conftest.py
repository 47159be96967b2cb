"""Shared fixtures: two tenants (A and B), a user of every role, their projects."""

from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from clients.models import Client, Role, User
from metrics.scores.models import TradeoffProposal
from projects.models import Baseline, ChecklistItem, Milestone, Project, ProjectTemplate
from tests.clients.factories import ClientFactory, ClientUserFactory, UserFactory
from tests.metrics.factories import TradeoffProposalFactory
from tests.projects.factories import (
    BaselineFactory,
    ChecklistItemFactory,
    ConstraintRecords,
    MilestoneFactory,
    ProjectFactory,
    ProjectTemplateFactory,
    constraint_records,
)


@dataclass
class World:
    client_a: Client
    client_b: Client
    viewer_a: User
    approver_a: User
    viewer_b: User
    approver_b: User
    pm: User
    other_pm: User
    leadership: User
    admin: User
    project_a: Project
    project_b: Project
    milestone_a: Milestone
    internal_milestone_a: Milestone
    milestone_b: Milestone
    checklist_b: ChecklistItem
    baseline_b: Baseline
    template: ProjectTemplate
    tradeoff_proposal_b: TradeoffProposal
    b: ConstraintRecords | None = None  # client B's constraint records: see the records_b fixture


@pytest.fixture
def world(db) -> World:
    client_a = ClientFactory(name="Aurora Test Bio", slug="aurora-test")
    client_b = ClientFactory(name="Borealis Secret Pharma", slug="borealis-secret")
    pm = UserFactory(username="pm", role=Role.PROJECT_MANAGER)
    other_pm = UserFactory(username="pm2", role=Role.PROJECT_MANAGER)
    project_a = ProjectFactory(client=client_a, manager=pm, code="AAA-OPEN-01", name="Aurora visible project")
    project_b = ProjectFactory(client=client_b, manager=pm, code="BBB-SECRET-01", name="Borealis hidden project")
    milestone_b = MilestoneFactory(project=project_b, name="Borealis secret milestone")
    viewer_b = ClientUserFactory(username="viewer_b", client=client_b, role=Role.CLIENT_VIEWER)
    return World(
        client_a=client_a,
        client_b=client_b,
        viewer_a=ClientUserFactory(username="viewer_a", client=client_a, role=Role.CLIENT_VIEWER),
        approver_a=ClientUserFactory(username="approver_a", client=client_a, role=Role.CLIENT_APPROVER),
        viewer_b=viewer_b,
        approver_b=ClientUserFactory(username="approver_b", client=client_b, role=Role.CLIENT_APPROVER),
        pm=pm,
        other_pm=other_pm,
        leadership=UserFactory(username="lead", role=Role.LEADERSHIP),
        admin=UserFactory(username="root", role=Role.ADMIN, is_staff=True, is_superuser=True),
        project_a=project_a,
        project_b=project_b,
        milestone_a=MilestoneFactory(project=project_a, name="Aurora shared milestone", sequence=1),
        internal_milestone_a=MilestoneFactory(
            project=project_a, name="Aurora internal costing review", sequence=2, client_visible=False
        ),
        milestone_b=milestone_b,
        checklist_b=ChecklistItemFactory(milestone=milestone_b, text="Borealis secret checklist"),
        baseline_b=BaselineFactory(project=project_b, created_by=pm),
        template=ProjectTemplateFactory(name="Secret CMO template"),
        tradeoff_proposal_b=TradeoffProposalFactory(
            project=project_b, proposed_by=pm, reason="Borealis secret priorities"
        ),
    )


@pytest.fixture
def records_b(world) -> ConstraintRecords:
    """One record of every constraint kind on client B's project; also ``world.b``, for routes that take a World."""
    world.b = constraint_records(
        project=world.project_b,
        pm=world.pm,
        client_user=world.viewer_b,
        label="Borealis secret",
        reference="BOR-SECRET",
    )
    return world.b


@pytest.fixture
def api():
    return APIClient()


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def second_connection(settings_dict=None):
    """A psycopg2 connection of its own to the test database (another session: locks, waits, grants)."""
    import psycopg2
    from django.db import connection

    settings_dict = settings_dict or connection.settings_dict
    return psycopg2.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        password=settings_dict["PASSWORD"] or None,
    )


@pytest.fixture
def lock_held_elsewhere():
    """``with lock_held_elsewhere(key):`` a PostgreSQL advisory lock held by another session, as a second worker's."""

    @contextmanager
    def hold(key: int):
        other = second_connection()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [key])
            yield
            with other.cursor() as cursor:  # released before the block's next statement (closing is asynchronous)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
        finally:
            other.close()

    return hold


@pytest.fixture(autouse=True)
def _default_language_around_each_test():
    """A request through the test client activates its language in the test's thread (as LocaleMiddleware does in a
    server thread, for the next request to replace): each test starts and ends in the portal's default language, so
    a German request in one test cannot change the words of another (the suite runs in random order)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker (separate process) on the configured broker and the test database."""
    import os
    import subprocess
    import sys
    import time

    from django.conf import settings
    from django.db import connection

    from cmo_portal.celery import app

    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    log_path = tmp_path_factory.mktemp("celery") / "worker.log"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "cmo_portal.settings.test",
        "CELERY_QUEUE": queue,
        "CMO_TEST_DATABASE_NAME": connection.settings_dict["NAME"],
    }
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cmo_portal",
                "worker",
                "-Q",
                queue,
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--hostname",
                f"test-{queue}@%h",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"Celery worker did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        process.log_path = log_path
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


def _allow_test_flush(sender, connection, **kwargs):
    """Between transactional tests pytest-django TRUNCATEs every table, audit events included.

    The audit tables refuse TRUNCATE unless this session says it is the test suite's flush.
    """
    with connection.cursor() as cursor:
        cursor.execute("SET cmo.test_flush = 'on'")


connection_created.connect(_allow_test_flush)


def pytest_sessionfinish(session, exitstatus):
    """Stop the embedded PostgreSQL if this test run started it (``make run`` keeps its own running)."""
    from django.conf import settings

    from cmo_portal import embedded_db

    if not settings.DATABASES["default"]["HOST"].startswith("/"):
        return
    from django.db import connections

    connections.close_all()
    embedded_db.stop_if_started_here(settings.VAR_DIR / "pg")


def _flush_retrying_deadlocks():
    """Between transactional tests Django TRUNCATEs every table; a real Celery worker may still be finishing
    a task enqueued by the test before (a recompute, an e-mail), and PostgreSQL may then pick the flush as a
    deadlock victim. The flush is retried; the worker's transaction is the one that must give way."""
    import time

    from django.db import OperationalError
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.execute_sql_flush
    if getattr(original, "retries_deadlocks", False):
        return

    def execute_sql_flush(self, sql_list):
        for attempt in range(6):
            try:
                return original(self, sql_list)
            except OperationalError as error:
                if "deadlock" not in str(error) or attempt == 5:
                    raise
                time.sleep(0.2 * (attempt + 1))

    execute_sql_flush.retries_deadlocks = True
    DatabaseOperations.execute_sql_flush = execute_sql_flush


_flush_retrying_deadlocks()
