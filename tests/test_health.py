import os
import subprocess
import sys

import pytest

PROBE = """
import django, json
django.setup()
from django.test import Client
response = Client().get('/readyz')
print(response.status_code, response.content.decode())
"""


def run_probe(**env_overrides) -> tuple[int, str]:
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "cmo_portal.settings.test"} | env_overrides
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    status, body = out.stdout.strip().splitlines()[-1].split(" ", 1)
    return int(status), body


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_200_when_database_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content


def test_readyz_is_503_with_a_reason_when_the_database_is_unreachable():
    status, body = run_probe(DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    assert status == 503
    assert "database unreachable" in body


@pytest.mark.django_db
def test_unknown_api_paths_answer_json_404(client):
    response = client.get("/api/v1/nothing/here/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.get("/no-such-page/").status_code == 404
