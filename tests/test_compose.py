"""Static checks of the container setup: docker-compose.yml, Dockerfile, .env.example.

No Docker engine and no database are needed: the files are parsed, not run.
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("web", "worker", "beat")
BACKING_SERVICES = ("postgres", "redis")
PRODUCTION_SETTINGS = "cmo_portal.settings.production"
# Every variable the settings read that a deployment sets (plus compose's own POSTGRES_PASSWORD).
DOCUMENTED_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    "DJANGO_SECURE_SSL_REDIRECT",
    "DJANGO_EMAIL_BACKEND",
    "DJANGO_DEFAULT_FROM_EMAIL",
    "PORTAL_BASE_URL",
    "DJANGO_LOG_LEVEL",
    "POSTGRES_PASSWORD",
    "PORTAL_DB_PASSWORD",
    "DATABASE_OWNER_URL",
    "DJANGO_REFUSE_DB_SUPERUSER",
}
COMPOSE_ONLY_VARIABLES = {"POSTGRES_PASSWORD", "PORTAL_DB_PASSWORD"}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def env_example_keys() -> dict[str, str]:
    keys = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not KEY=value: {line!r}"
        keys[key.strip()] = value.strip()
    return keys


def environment_of(service: dict) -> dict[str, str]:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return environment


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    instructions = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            instructions.append((instruction.upper(), arguments.strip()))
    return instructions


def test_the_five_services_exist(services):
    assert set(services) == {"postgres", "redis", "web", "worker", "beat"}


def test_backing_services_images(services):
    assert services["postgres"]["image"] == "postgres:16"
    assert services["redis"]["image"] == "redis:7"


def test_postgres_healthcheck_uses_pg_isready(services):
    test = services["postgres"]["healthcheck"]["test"]
    assert "pg_isready" in " ".join(test)


def test_redis_healthcheck_pings(services):
    test = services["redis"]["healthcheck"]["test"]
    assert "redis-cli" in test
    assert "ping" in test


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_backing_services(services, name):
    depends_on = services[name]["depends_on"]
    assert isinstance(depends_on, dict), "depends_on needs the long form to carry a condition"
    for backing in BACKING_SERVICES:
        assert depends_on[backing] == {"condition": "service_healthy"}


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_use_env_file_and_production_settings(services, name):
    service = services[name]
    env_file = service["env_file"]
    assert (env_file if isinstance(env_file, list) else [env_file]) == [".env"]
    environment = environment_of(service)
    assert environment["DJANGO_SETTINGS_MODULE"] == PRODUCTION_SETTINGS
    # The application's role, never the owner (least privilege); only web (it migrates) knows the owner.
    assert environment["DATABASE_URL"].startswith("postgres://portal:${PORTAL_DB_PASSWORD")
    assert environment["DATABASE_URL"].endswith("}@postgres:5432/portal")
    if name == "web":
        assert environment["DATABASE_OWNER_URL"].startswith("postgres://portal_owner:${POSTGRES_PASSWORD")
    else:
        assert "DATABASE_OWNER_URL" not in environment
    assert environment["REDIS_URL"] == "redis://redis:6379/0"
    assert "build" in service


def test_web_migrates_then_serves_with_gunicorn(services):
    web = services["web"]
    command = " ".join(web["command"]) if isinstance(web["command"], list) else web["command"]
    assert command.index("manage.py migrate") < command.index("gunicorn cmo_portal.wsgi:application")
    assert "0.0.0.0:8000" in command
    healthcheck = " ".join(web["healthcheck"]["test"])
    assert "urllib" in healthcheck
    assert "/healthz" in healthcheck


def test_worker_and_beat_commands(services):
    assert services["worker"]["command"] == ["celery", "-A", "cmo_portal", "worker", "--loglevel=INFO"]
    assert services["beat"]["command"] == [
        "celery",
        "-A",
        "cmo_portal",
        "beat",
        "--loglevel=INFO",
        "--schedule",
        "/tmp/celerybeat-schedule",  # noqa: S108 - the container's own /tmp, written by beat only
    ]


def test_exactly_one_beat(services):
    assert services["beat"]["deploy"]["replicas"] == 1
    for name, service in services.items():
        if name != "beat":
            assert "beat" not in str(service.get("command", "")), f"{name} must not run a second beat"


def test_postgres_data_is_on_a_declared_named_volume(compose, services):
    volumes = services["postgres"]["volumes"]
    data_mounts = [volume.split(":")[0] for volume in volumes if volume.endswith(":/var/lib/postgresql/data")]
    assert len(data_mounts) == 1
    source = data_mounts[0]
    assert not source.startswith((".", "/", "~")), "a named volume, not a bind mount"
    assert source in (compose.get("volumes") or {})


def test_env_example_documents_every_variable():
    keys = env_example_keys()
    assert DOCUMENTED_VARIABLES <= set(keys), f"undocumented: {sorted(DOCUMENTED_VARIABLES - set(keys))}"


def test_env_example_names_only_variables_that_are_read():
    """A misspelt key in .env.example would be silently ignored: each one must be read somewhere."""
    sources = "".join(path.read_text() for path in (ROOT / "cmo_portal" / "settings").glob("*.py"))
    sources += (ROOT / "cmo_portal" / "env.py").read_text()
    read = set(re.findall(r"\"([A-Z][A-Z0-9_]*)\"", sources))
    for key in set(env_example_keys()) - COMPOSE_ONLY_VARIABLES:
        assert key in read, f"{key} is in .env.example but no setting reads it"


def test_env_example_comments_every_variable():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert index > 0, f"no comment above {line!r}"
            assert lines[index - 1].startswith("# "), f"no comment above {line!r}"


def test_env_example_keeps_local_compose_on_plain_http():
    keys = env_example_keys()
    assert keys["DJANGO_SECURE_SSL_REDIRECT"] == "false"
    assert "127.0.0.1" in keys["DJANGO_ALLOWED_HOSTS"].split(","), "the web healthcheck calls 127.0.0.1"


def test_dockerfile_runs_as_a_non_root_user():
    users = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "USER"]
    assert users, "no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_collects_static_files_at_build_time():
    runs = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "RUN"]
    assert any("collectstatic --noinput" in run for run in runs)


def test_dockerfile_base_image_and_default_command():
    instructions = dockerfile_instructions()
    assert instructions[0] == ("FROM", "python:3.11-slim-bookworm")
    assert ("EXPOSE", "8000") in instructions
    cmd = [arguments for instruction, arguments in instructions if instruction == "CMD"][-1]
    assert "gunicorn" in cmd
    assert '"--workers", "3"' in cmd
