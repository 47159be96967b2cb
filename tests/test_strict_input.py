"""Invalid input is refused with 400 and a field map, never ignored or coerced (issue 12, item 7).

The enumerations walk the OpenAPI schema the app serves, so a new filter, query parameter or body field without
validation fails here:

- every query parameter of every operation, given an invalid value of its documented type (empty, repeated, a
  fraction for an id, ``yes`` for a boolean, an unknown choice or ordering, ``0`` for a page) → 400 naming it;
- every writable field of every JSON body, given a value of another type (a number for text, ``0`` or ``"yes"``
  for a boolean, ``"1.5"`` or ``true`` for an integer, a float for a decimal) → 400 naming it and nothing written;
  the same in form bodies (accepted, not documented) for booleans, integers and decimals (``yes``, ``1.5``, ``1e3``).

Rules: ``core/filtering.py`` (query parameters) and ``core/serializers.py`` (bodies); documented in docs/api.md.
"""

import json
import re

import pytest
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

from core.filtering import StrictFilterSet
from core.serializers import StrictInputMixin
from tests.api_records import ApiRecords, existing_records
from tests.conftest import api_as

pytestmark = pytest.mark.django_db

API = "/api/v1/"
APP_PACKAGES = ("clients.", "projects.", "metrics.", "cmo_portal.", "core.")
# Operations a role other than the administrator performs (the actor's World attribute).
ACTORS = {
    ("/api/v1/change-requests/{id}/approve/", "post"): "approver_a",
    ("/api/v1/change-requests/{id}/reject/", "post"): "approver_a",
    ("/api/v1/baselines/{id}/approve/", "post"): "approver_a",
    ("/api/v1/baselines/{id}/reject/", "post"): "approver_a",
    ("/api/v1/surveys/{id}/answer/", "post"): "approver_a",
    ("/api/v1/documents/{id}/approve/", "post"): "approver_a",
    ("/api/v1/documents/{id}/reject/", "post"): "approver_a",
}
# A valid value of a parameter documented by a pattern (to send it twice).
PATTERN_SAMPLES = {r"^[-a-zA-Z0-9_]+$": "aurora-test", r"^(20[0-9]{2}|2100)Q[1-4]$": "2026Q3"}


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def records(world, records_b) -> ApiRecords:
    return existing_records(world, records_b)


def operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(schema: dict, node: dict) -> dict:
    while True:
        if "$ref" in node:
            node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
        elif "allOf" in node and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        elif "oneOf" in node:
            node = node["oneOf"][0]  # a choice that may also be blank or null: the choice itself
        else:
            return node


def url(path: str, records: ApiRecords) -> str:
    resource = path.removeprefix(API).split("/", 1)[0]
    return path.replace("{id}", str(records.ids[resource][0])) if "{id}" in path else path


def rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction (the test's), in every table."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return cursor.fetchone()[0]


# --- Query parameters -------------------------------------------------------------------------------------------


def valid_sample(parameter: dict) -> str:
    schema = parameter["schema"]
    if "enum" in schema:
        return str(schema["enum"][0])
    if schema.get("type") == "integer":
        return "1"
    if schema.get("type") == "boolean":
        return "true"
    if parameter["name"] == "ordering":
        return re.search(r"\(([^|)]+)", schema["pattern"]).group(1)
    if "pattern" in schema:
        assert schema["pattern"] in PATTERN_SAMPLES, f"Add a valid sample of {schema['pattern']} to PATTERN_SAMPLES."
        return PATTERN_SAMPLES[schema["pattern"]]
    return "x"


def invalid_values(parameter: dict) -> list[str]:
    """Values the parameter's documented type refuses (the empty value: every parameter)."""
    schema = parameter["schema"]
    values = [""]
    if "enum" in schema:
        values += ["not-a-choice", str(schema["enum"][0]).upper()]
    elif schema.get("type") == "integer":
        values += ["abc", "1.5", "1.0", "1e3", " 1", "\uff11"]
        if "minimum" in schema:
            values += [str(schema["minimum"] - 1), "-1"]
    elif schema.get("type") == "boolean":
        values += ["yes", "1", "0", "on", "True"]
    elif "pattern" in schema:
        values += [value for value in ("!", "no such thing", "nope,-") if not re.search(schema["pattern"], value)]
    return values


def test_every_query_parameter_refuses_invalid_values_with_400_naming_it(schema, records):
    admin = api_as(records.world.admin)
    accepted, checked = [], 0
    for path, method, operation in operations(schema):
        if method != "get":
            continue
        target = url(path, records)
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "query":
                continue
            name = parameter["name"]
            sample = valid_sample(parameter)
            cases = [f"{name}={value}" for value in invalid_values(parameter)] + [f"{name}={sample}&{name}={sample}"]
            for query in cases:
                response = admin.get(f"{target}?{query}")
                checked += 1
                body = response.json() if response["Content-Type"] == "application/json" else {}
                if response.status_code != 400 or name not in body:
                    accepted.append(f"GET {target}?{query}: {response.status_code} {str(body)[:120]}")
    assert accepted == [], "\n".join(accepted)
    assert checked > 400  # the enumeration really ran over the schema's lists


def test_unknown_query_parameters_are_ignored_and_detail_routes_take_no_filters(schema, records):
    admin = api_as(records.world.admin)
    lists = [path for path, method, _ in operations(schema) if method == "get" and "{id}" not in path]
    # A list that needs a parameter gets it (the search needs its words).
    needed = {"/api/v1/search/": "q=aurora&"}
    answers = {path: admin.get(f"{path}?{needed.get(path, '')}no_such_parameter=1").status_code for path in lists}
    assert set(answers.values()) == {200}, answers
    project = url("/api/v1/projects/{id}/", records)
    assert admin.get(f"{project}?status=bogus&ordering=nope&page=abc").status_code == 200


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("service_type=", 400, "service_type"),
        ("service_type=brewing", 400, "service_type"),
        ("status=active&status=planned", 400, "status"),
        ("client=1.0", 400, "client"),
        ("page=abc", 400, "page"),
        ("page=0", 400, "page"),
        ("page=last", 400, "page"),
        ("ordering=budget", 400, "ordering"),
        ("ordering=code,-nope", 400, "ordering"),
        ("page=99999", 404, "detail"),
        ("ordering=-target_date,code&page=1", 200, "results"),
    ],
)
def test_project_list_query_examples_from_the_issue(world, query, status, field):
    response = api_as(world.pm).get(f"/api/v1/projects/?{query}")
    assert (response.status_code, field in response.json()) == (status, True), response.json()


# --- Bodies -----------------------------------------------------------------------------------------------------


def wrong_json_values(prop: dict) -> list:
    if prop.get("readOnly") or prop.get("format") == "binary":
        return []
    kind = prop.get("type")
    if "enum" in prop:
        return [0, True]
    if kind == "string" and prop.get("format") == "decimal":
        return [0, 1.5, "1e3", " 1"]
    if kind == "string":
        return [0, 1.5]
    if kind == "boolean":
        return [0, 1, "yes", "true"]
    if kind == "integer":
        return ["1.5", "1", True, 1.5]
    if kind == "number":
        return ["1", True]
    if kind == "array":
        items = prop.get("items", {})
        return ["1", [0.5] if items.get("type") == "integer" else [0]]
    return []


def wrong_form_values(prop: dict) -> list[str]:
    if prop.get("readOnly"):
        return []
    if prop.get("type") == "boolean":
        return ["0", "yes", "on"]
    if prop.get("type") == "integer":
        return ["1.5", "1.0", "true"]
    if prop.get("format") == "decimal":
        return ["1e3", "1,5", " 1"]
    return []


def body_properties(schema: dict, operation: dict, media_type: str) -> dict[str, dict]:
    content = operation.get("requestBody", {}).get("content", {})
    if media_type not in content:
        return {}
    body = resolve(schema, content[media_type]["schema"])
    return {name: resolve(schema, prop) | prop for name, prop in body.get("properties", {}).items()}


def send(records: ApiRecords, path: str, method: str, body, fmt: str):
    user = getattr(records.world, ACTORS.get((path, method), "admin"))
    client = api_as(user)
    target = url(path, records)
    headers = {}
    if method in ("put", "patch"):
        etag = client.get(target).get("ETag")
        if etag:
            headers["HTTP_IF_MATCH"] = etag
    if fmt == "json":
        return getattr(client, method)(target, json.dumps(body), content_type="application/json", **headers)
    return getattr(client, method)(target, body, format="multipart", **headers)


def test_every_body_field_refuses_a_value_of_another_type_and_writes_nothing(schema, records):
    refused_wrongly, checked, operations_checked = [], 0, set()
    for path, method, operation in operations(schema):
        if method not in ("post", "put", "patch"):
            continue
        # Forms are accepted though only JSON is documented (the browsable API): they are strict too.
        for fmt, wrong in (("json", wrong_json_values), ("multipart", wrong_form_values)):
            for name, prop in body_properties(schema, operation, "application/json").items():
                for value in wrong(prop):
                    before = rows_written()
                    response = send(records, path, method, {name: value}, fmt)
                    written = rows_written() - before
                    checked += 1
                    operations_checked.add((path, method))
                    body = response.json() if response["Content-Type"] == "application/json" else {}
                    if response.status_code != 400 or name not in body or written:
                        refused_wrongly.append(
                            f"{method.upper()} {path} ({fmt}) {name}={value!r}: {response.status_code} "
                            f"{str(body)[:160]}; rows written: {written}"
                        )
    assert refused_wrongly == [], "\n".join(refused_wrongly)
    writes_with_fields = {
        (path, method)
        for path, method, operation in operations(schema)
        # A body whose only writable field is a file (a document's new version) has no typed value to mistype.
        if any(
            not p.get("readOnly") and p.get("format") != "binary"
            for p in body_properties(schema, operation, "application/json").values()
        )
    }
    assert operations_checked == writes_with_fields
    assert checked > 300


@pytest.mark.parametrize(
    ("body", "fmt"),
    [({"body": 0}, "json"), ({"body": 1.5}, "json"), ({"body": ["a"]}, "json")],
)
def test_a_comment_body_that_is_not_text_is_refused(records, body, fmt):
    path = "/api/v1/issues/{id}/comments/"
    before = rows_written()
    response = send(records, path, "post", body, fmt)
    assert response.status_code == 400
    assert "body" in response.json()
    assert rows_written() == before


@pytest.mark.parametrize("value", [0, 1, "yes", "true", "on"])
def test_right_first_time_takes_only_a_boolean(records, value):
    before = rows_written()
    response = send(records, "/api/v1/batches/{id}/", "patch", {"right_first_time": value}, "json")
    assert response.status_code == 400
    assert response.json() == {"right_first_time": ["Give true or false."]}
    assert rows_written() == before


def test_valid_values_still_pass(records):
    """The strict rule refuses other types, not the right ones: JSON booleans, integers and decimal strings;
    their form spellings."""
    batch = send(records, "/api/v1/batches/{id}/", "patch", {"right_first_time": False}, "json")
    form = send(records, "/api/v1/batches/{id}/", "patch", {"right_first_time": "true"}, "multipart")
    risk = send(records, "/api/v1/risks/{id}/", "patch", {"probability": 2, "reason": "Re-assessed"}, "json")
    what_if = send(
        records,
        "/api/v1/projects/{id}/what-if/",
        "post",
        {"schedule_impact_days": 10, "cost_impact": "2500.50", "scope_impact_percent": "-5"},
        "json",
    )
    assert [r.status_code for r in (batch, form, risk, what_if)] == [200, 200, 200, 200]
    assert (batch.json()["right_first_time"], form.json()["right_first_time"]) == (False, True)


# --- Every serializer and filter of the API is strict -----------------------------------------------------------


def _subclasses(cls) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _subclasses(sub)
    return found


def test_every_serializer_and_filterset_of_the_app_is_strict(schema):
    from django_filters.filterset import BaseFilterSet

    serializers_of_app = {
        cls
        for cls in _subclasses(serializers.BaseSerializer)
        if cls.__module__.startswith(APP_PACKAGES) and cls.__module__ != "core.serializers"
    }
    filtersets_of_app = {
        cls
        for cls in _subclasses(BaseFilterSet)
        if cls.__module__.startswith(APP_PACKAGES) and cls.__module__ != "core.filtering"
    }
    assert len(serializers_of_app) > 40
    assert len(filtersets_of_app) > 10
    assert sorted(c.__qualname__ for c in serializers_of_app if not issubclass(c, StrictInputMixin)) == []
    assert sorted(c.__qualname__ for c in filtersets_of_app if not issubclass(c, StrictFilterSet)) == []
