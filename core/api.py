"""The API's base viewsets: scoping by ``for_user`` is applied here, once."""

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import permissions, serializers, viewsets
from rest_framework.settings import api_settings

from core.serializers import decimal_pattern


class ScopedQuerysetMixin:
    """``get_queryset`` starts from ``queryset.for_user(request.user)``; subclasses filter on top."""

    def get_queryset(self):
        return super().get_queryset().for_user(self.request.user)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ScopedModelViewSet(ScopedQuerysetMixin, viewsets.ModelViewSet):
    pass


class RolePermission(permissions.BasePermission):
    """Read for everyone in scope; writes only for roles that ``can_write(user)`` allows.

    Subclasses set ``write_check``: a function of the user (role, not tenant).
    """

    write_check = staticmethod(lambda user: False)

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return bool(self.write_check(request.user))


def etag_for(instance) -> str:
    return f'"{instance.version}"'


class VersionedUpdateMixin:
    """Optimistic locking over HTTP: GET returns an ``ETag``; PATCH/PUT need a matching ``If-Match``.

    Missing ``If-Match`` → 428; stale → 412 (the record changed since it was read).
    """

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_for(self.get_object())
        return response

    def expected_version(self) -> int:
        return int(self.request.headers["If-Match"].strip().strip('W/"').strip('"'))

    def update(self, request, *args, **kwargs):
        from rest_framework import status
        from rest_framework.response import Response

        instance = self.get_object()  # 404 outside scope, 403 without the right to edit
        header = request.headers.get("If-Match")
        if not header:
            return Response(
                {"non_field_errors": [_("Send If-Match with the ETag from a GET of this record.")]},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        if header.strip() != etag_for(instance):
            return Response(
                {
                    "non_field_errors": [_("The record was changed by someone else since you read it. GET it again.")],
                    "current_version": instance.version,
                },
                status=status.HTTP_412_PRECONDITION_FAILED,
            )
        response = super().update(request, *args, **kwargs)
        response["ETag"] = etag_for(self.get_object())
        return response


# --- OpenAPI: the error answers every operation can give ------------------------------------------------------

_MESSAGES = {"type": "array", "items": {"type": "string"}}
ERROR_SCHEMAS = {
    "ErrorFieldMap": {
        "type": "object",
        "description": "Bad input (400): each key a field of the request (or ``non_field_errors``), each value its "
        "messages; nested fields carry their own map. Nothing was written.",
        "properties": {"non_field_errors": _MESSAGES},
        "additionalProperties": {"description": "The messages for this field."},
    },
    "ErrorDetail": {
        "type": "object",
        "description": "Not authenticated (401), not allowed for your role (403), not in your scope (404) or a "
        "body in a media type the operation does not read (415).",
        "properties": {"detail": {"type": "string"}},
    },
    "PreconditionRequired": {
        "type": "object",
        "description": "428: send ``If-Match`` with the ETag of a GET of this record.",
        "properties": {"non_field_errors": _MESSAGES},
        "required": ["non_field_errors"],
    },
    "PreconditionFailed": {
        "type": "object",
        "description": "412: the record changed since you read it; GET it again (``current_version``).",
        "properties": {"non_field_errors": _MESSAGES, "current_version": {"type": "integer"}},
        "required": ["non_field_errors", "current_version"],
    },
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_BODIES = {
    "400": "ErrorFieldMap",
    "401": "ErrorDetail",
    "403": "ErrorDetail",
    "404": "ErrorDetail",
    "415": "ErrorDetail",
    "429": "ErrorDetail",
    "412": "PreconditionFailed",
    "428": "PreconditionRequired",
}


class PortalAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the truth about errors: 400 (field map) on writes and filtered lists, 401/403
    where a login or a role is needed, 404 on detail routes and paginated lists, and ``If-Match`` with 412/428 on
    updates of versioned records (``VersionedUpdateMixin``). Declared responses of an operation are kept."""

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.DecimalField) and schema.get("format") == "decimal":
            schema["pattern"] = decimal_pattern(field)  # exactly what core.serializers accepts
        return schema

    def map_parsers(self):
        """Bodies are documented as JSON, the API's one request format. Form encodings stay accepted (the browsable
        API, scripts), with the same strict rules (``core.serializers``), but cannot say ``null``, a typed value or a
        one-item list, so they are not offered. A view that declares its own parsers (a file upload) shows them."""
        media_types = super().map_parsers()
        if [type(parser) for parser in self.view.get_parsers()] == api_settings.DEFAULT_PARSER_CLASSES:
            return [media_type for media_type in media_types if media_type == "application/json"]
        return media_types

    def _versioned_update(self) -> bool:
        return isinstance(self.view, VersionedUpdateMixin) and self.method in ("PUT", "PATCH")

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self._versioned_update():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=True,
                    description='The ETag of your last GET of this record, e.g. "3". Missing: 428; stale: 412.',
                )
            )
        return parameters

    def _error(self, name: str) -> dict:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=ERROR_SCHEMAS[name])
        self.registry.register_on_missing(component)
        return {"content": {"application/json": {"schema": component.ref}}}

    def _needs_login(self) -> bool:
        return not all(isinstance(p, permissions.AllowAny) for p in self.view.get_permissions())

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        for parameter in query:  # core.filtering: a known parameter given empty is a 400
            schema = parameter.get("schema", {})
            if schema.get("type") == "string" and not {"enum", "pattern", "minLength"} & schema.keys():
                schema["minLength"] = 1
        errors: dict[str, tuple[str, str]] = {}
        if self.method in WRITE_METHODS or query:
            errors["400"] = ("ErrorFieldMap", "Bad input: a field map of messages; nothing was written.")
        if operation.get("requestBody"):
            errors["415"] = ("ErrorDetail", "A body in a media type this operation does not read (see requestBody).")
        if self._needs_login():
            errors["401"] = ("ErrorDetail", "No valid credentials (a missing, expired or revoked token).")
            errors["403"] = ("ErrorDetail", "Your role may not do this.")
        if "{" in path or any(p["name"] == "page" for p in query):
            errors["404"] = ("ErrorDetail", "Not found, or not in your scope (another client's record).")
        if self._versioned_update():
            errors["412"] = ("PreconditionFailed", "Stale If-Match: the record changed since you read it.")
            errors["428"] = ("PreconditionRequired", "If-Match missing.")
        for code, (name, description) in errors.items():
            responses.setdefault(code, {"description": description, **self._error(name)})
        for code, name in ERROR_BODIES.items():  # an error declared by the view without a body gets the standard one
            if code in responses and "content" not in responses[code]:
                responses[code].update(self._error(name))
        return operation
