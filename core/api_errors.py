"""JSON errors with a field map for every API failure; never a 500 for bad input."""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.concurrency import StaleVersion


def _django_validation_detail(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            "non_field_errors" if field in (None, NON_FIELD_ERRORS) else field: [
                str(m) for e in errs for m in e.messages
            ]
            for field, errs in error.error_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


def exception_handler(exc, context):
    if isinstance(exc, StaleVersion):
        return Response(
            {"non_field_errors": [str(exc)], "current_version": exc.current.version},
            status=status.HTTP_412_PRECONDITION_FAILED,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_validation_detail(exc))
    elif isinstance(exc, IntegrityError):
        return Response(
            {"non_field_errors": [_("The change conflicts with existing data (a duplicate or a broken rule).")]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        response.data = {"non_field_errors": response.data}
    return response
