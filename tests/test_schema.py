"""The OpenAPI schema tells the truth (issue 12, item 11): nullable fields, error answers, ``If-Match``.

The schema is generated the way ``/api/v1/schema/`` serves it; the enumerations run over every operation, so a new
route without its documented errors fails here. Real answers are then checked against the documented shapes.
"""

import jsonschema
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from core.api import VersionedUpdateMixin
from tests.conftest import api_as

WRITES = {"post", "put", "patch", "delete"}
# Operations open without a login, and what they answer about credentials: asking for a token (400 on wrong ones,
# never 401/403) and revoking yours (401 without a valid token).
PUBLIC = {("/api/v1/auth/token/", "post"): set(), ("/api/v1/auth/token/", "delete"): {"401"}}


@pytest.fixture(scope="module")
def generated():
    generator = SchemaGenerator()
    schema = generator.get_schema(request=None, public=True)
    operations = {  # the schema names the path's pk ``id`` (SCHEMA_COERCE_PATH_PK)
        (path.replace("{pk}", "{id}"), method.lower()): callback
        for path, _regex, method, callback in generator.endpoints
    }
    documented = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert documented <= set(operations)  # (schema/, docs/ and redoc/ are left out of the schema)
    return schema, operations


def component(schema, ref_holder) -> dict:
    ref = ref_holder["$ref"] if "$ref" in ref_holder else ref_holder["allOf"][0]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_fields_that_may_be_null_are_nullable(generated):
    schema, _ = generated
    components = schema["components"]["schemas"]
    assert components["QualityEvent"]["properties"]["batch_number"]["nullable"] is True
    me = components["Me"]["properties"]["client"]
    assert me.get("nullable") is True
    assert "Client" in str(me)


def test_every_update_of_a_versioned_record_documents_if_match_412_and_428(generated):
    schema, operations = generated
    versioned = {
        (path, method)
        for (path, method), view in operations.items()
        if method in ("put", "patch") and issubclass(view.cls, VersionedUpdateMixin)
    }
    assert {(f"/api/v1/{kind}/{{id}}/", "patch") for kind in ("projects", "milestones", "risks")} <= versioned
    for path, method in versioned:
        operation = schema["paths"][path][method]
        headers = [p for p in operation["parameters"] if p["in"] == "header"]
        assert [(p["name"], p["required"]) for p in headers] == [("If-Match", True)], (path, method)
        assert {"412", "428"} <= operation["responses"].keys(), (path, method)
    others = [
        (path, method)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if (path, method) not in versioned and {"412", "428"} & operation["responses"].keys()
    ]
    assert others == []


def test_every_operation_documents_400_403_404_where_they_can_happen(generated):
    schema, _ = generated
    missing = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            documented = operation["responses"].keys()
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            expected = set()
            if method in WRITES or query - {"page"}:
                expected.add("400")
            expected |= PUBLIC.get((path, method), {"401", "403"})
            if "{" in path or "page" in query:
                expected.add("404")
            if expected - documented:
                missing.append(f"{method.upper()} {path}: {sorted(expected - documented)}")
    assert missing == []
    assert "ClientCreate" in str(schema["paths"]["/api/v1/clients/"]["post"]["requestBody"])


def _body_matches(schema, path, method, code, body):
    response = schema["paths"][path][method]["responses"][code]["content"]["application/json"]["schema"]
    documented = component(schema, response)
    jsonschema.validate(body, documented)


def test_real_error_answers_have_the_documented_shape(generated, world):
    schema, _ = generated
    milestone = reverse("api:milestone-detail", kwargs={"pk": world.milestone_a.pk})
    pm = api_as(world.pm)

    no_if_match = pm.patch(milestone, {"name": "Renamed"}, format="json")
    stale = pm.patch(milestone, {"name": "Renamed"}, format="json", HTTP_IF_MATCH='"999"')
    outsider = api_as(world.viewer_a).get(reverse("api:project-detail", kwargs={"pk": world.project_b.pk}))
    not_allowed = api_as(world.viewer_a).post(reverse("api:client-list"), {"name": "X", "slug": "x"}, format="json")
    bad_input = api_as(world.admin).post(reverse("api:client-list"), {"name": "", "slug": "no slug"}, format="json")

    assert (no_if_match.status_code, stale.status_code) == (428, 412)
    assert (outsider.status_code, not_allowed.status_code, bad_input.status_code) == (404, 403, 400)
    _body_matches(schema, "/api/v1/milestones/{id}/", "patch", "428", no_if_match.json())
    _body_matches(schema, "/api/v1/milestones/{id}/", "patch", "412", stale.json())
    _body_matches(schema, "/api/v1/projects/{id}/", "get", "404", outsider.json())
    _body_matches(schema, "/api/v1/clients/", "post", "403", not_allowed.json())
    _body_matches(schema, "/api/v1/clients/", "post", "400", bad_input.json())
    assert {"name", "slug"} <= bad_input.json().keys()
