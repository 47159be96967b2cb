"""Query parameters of the API's lists, refused with 400 and a field map when invalid, never ignored or coerced.

One rule for every list of ``/api/v1/`` (the filter backends and the pagination of ``REST_FRAMEWORK``):

- a known parameter given empty (``?service_type=``) or more than once is a 400;
- a filter value is refused unless it is exactly of its type: an id or integer is ASCII digits (no ``1.0``, no
  ``1e3``), a boolean is ``true`` or ``false``, a choice is one of the choices, a slug is a slug;
- ``ordering`` names only the view's ``ordering_fields`` (``-`` for descending, comma-separated); anything else is a
  400. A view without ``ordering_fields`` offers no ordering;
- ``page`` is a whole number from 1 (``abc``, ``0``, ``last`` → 400); a page past the end is a 404, as DRF answers;
- filters, ordering and pagination apply to lists only: a detail route (``/projects/{id}/``) documents no query
  parameter and ignores them all;
- unknown parameter names are ignored (HTTP custom: caches and proxies add their own).

Every ``FilterSet`` of the API extends ``StrictFilterSet``; the backend refuses any other, and ``StrictFilterSet``
refuses, when its class is created, a filter whose values it cannot check (``NumberFilter``, ``ModelChoiceFilter``,
a lenient ``BooleanFilter``, dates…): a new filter without validation fails at import.
"""

import re

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import filters as base_filters
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination

INTEGER_TEXT = re.compile(r"-?[0-9]+")
SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
EMPTY_MESSAGE = _("Give a value, or leave the parameter out.")
REPEATED_MESSAGE = _("Give this parameter once.")


# --- Form fields: the exact spelling of each type ------------------------------------------------------------------


class StrictIntegerFormField(forms.Field):
    """A whole number in ASCII digits, optionally negative; ``1.0``, ``1e3``, ``+1`` and ``１`` are refused."""

    default_error_messages = {"invalid": _("Give a whole number (digits only).")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not INTEGER_TEXT.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


class StrictBooleanFormField(forms.Field):
    """``true`` or ``false``, nothing else (no ``1``, ``yes``, ``on``)."""

    widget = forms.TextInput
    default_error_messages = {"invalid": _("Give true or false.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value == "true":
            return True
        if value == "false":
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")


class PatternFormField(forms.CharField):
    """Text matching ``pattern`` entirely (``re.fullmatch``: no trailing newline slips through ``$``)."""

    def __init__(self, *, pattern: str, **kwargs):
        self.pattern = pattern
        super().__init__(**kwargs)

    def validate(self, value):
        super().validate(value)
        if value and not re.fullmatch(self.pattern, value):
            raise forms.ValidationError(
                _("Give a value matching %(pattern)s.") % {"pattern": self.pattern}, code="invalid"
            )


# --- Filters ---------------------------------------------------------------------------------------------------------


class IdFilter(filters.NumberFilter):
    """An id (or any integer) filter; documented as an integer with its help text. An id past PostgreSQL's integers
    matches nothing (Django's lookups), like any missing id."""

    field_class = StrictIntegerFormField

    def get_max_validator(self):
        return None

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, help_text=help_text, **kwargs)
        extend_schema_field({"type": "integer", "description": help_text})(self)


class StrictBooleanFilter(filters.BooleanFilter):
    """``true`` or ``false``; django-filter's own ignores any other value silently."""

    field_class = StrictBooleanFormField

    def __init__(self, *args, **kwargs):
        kwargs["widget"] = forms.TextInput
        super().__init__(*args, **kwargs)


class SlugFilter(filters.CharFilter):
    """A slug (letters, digits, ``-`` and ``_``); documented with its pattern."""

    field_class = forms.SlugField

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, help_text=help_text, **kwargs)
        extend_schema_field({"type": "string", "pattern": SLUG_PATTERN, "description": help_text})(self)


class PatternFilter(filters.CharFilter):
    """Text that must match ``pattern`` (anchored), documented with it."""

    field_class = PatternFormField

    def __init__(self, *args, pattern: str, help_text: str = "", **kwargs):
        super().__init__(*args, pattern=pattern, help_text=help_text, **kwargs)
        extend_schema_field({"type": "string", "pattern": pattern, "description": help_text})(self)


def checks_its_values(filter_) -> bool:
    """Core's filters, a ChoiceFilter (one of its choices) or a CharFilter (any non-empty text: free text has no
    other invalid value); not django-filter's lenient ones (NumberFilter takes ``1.5``, BooleanFilter ignores ``yes``,
    ModelChoiceFilter tells another tenant's id apart from a missing one)."""
    if isinstance(filter_, (IdFilter, StrictBooleanFilter, SlugFilter, PatternFilter)):
        return True
    return type(filter_) in (base_filters.ChoiceFilter, base_filters.CharFilter)


class StrictFilterForm(forms.Form):
    """Refuses a known parameter given empty or more than once (django-filter would ignore or take the last)."""

    def clean(self):
        for name in self.fields:
            values = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            values = [value for value in values if value is not None]
            if len(values) > 1:
                self.add_error(name, REPEATED_MESSAGE)
            elif values and not str(values[0]).strip():
                self.add_error(name, EMPTY_MESSAGE)
        return super().clean()


class StrictFilterSet(filters.FilterSet):
    """The base of every FilterSet of the API: every value is checked; invalid, empty or repeated ones are a 400.

    Filters generated from ``Meta.fields`` are strict (ids and foreign keys: ``IdFilter``, so an id outside the
    caller's scope and a missing one answer alike, with an empty list); declared filters must be strict too.
    """

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.AutoField: {"filter_class": IdFilter},
        models.BigAutoField: {"filter_class": IdFilter},
        models.IntegerField: {"filter_class": IdFilter},
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.SlugField: {"filter_class": SlugFilter},
    }

    @classmethod
    def get_filters(cls):
        declared = super().get_filters()
        for name, filter_ in declared.items():
            if not checks_its_values(filter_):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: {type(filter_).__name__} does not check its values; use one of "
                    "core.filtering's filters (IdFilter, StrictBooleanFilter, SlugFilter, PatternFilter), a "
                    "ChoiceFilter or a CharFilter."
                )
        return declared

    def get_form_class(self):
        form_class = super().get_form_class()
        return type(form_class.__name__, (StrictFilterForm, form_class), {})


class StrictFilterBackend(filters.DjangoFilterBackend):
    """django-filter's backend with ``StrictFilterSet``: lists only, strict values, 400 with a field map."""

    filterset_base = StrictFilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, StrictFilterSet):
            raise ImproperlyConfigured(
                f"{type(view).__name__}.filterset_class must extend core.filtering.StrictFilterSet "
                f"({filterset_class.__name__} does not): invalid filter values would be ignored."
            )
        return filterset_class

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)


# --- Ordering --------------------------------------------------------------------------------------------------------


class StrictOrderingFilter(OrderingFilter):
    """``?ordering=`` with the view's ``ordering_fields`` only; anything else is a 400, never silently ignored."""

    def get_valid_fields(self, queryset, view, context=None):
        return [(name, name) for name in getattr(view, "ordering_fields", None) or []]

    def _names(self, view) -> list[str]:
        return [name for name, _label in self.get_valid_fields(None, view)]

    def get_ordering(self, request, queryset, view):
        values = request.query_params.getlist(self.ordering_param)
        names = self._names(view)
        if not values or not names:  # no ordering offered: the parameter is unknown here, hence ignored
            return self.get_default_ordering(view)
        if len(values) > 1:
            raise ValidationError({self.ordering_param: [REPEATED_MESSAGE]})
        terms = values[0].split(",")
        unknown = [term for term in terms if term.removeprefix("-") not in names]
        if unknown:
            choices = ", ".join(names)
            message = _("Order by %(fields)s (a leading - for descending), separated by commas.") % {"fields": choices}
            raise ValidationError({self.ordering_param: [message]})
        return terms

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        names = self._names(view)
        if not names:
            return []
        term = "-?(" + "|".join(re.escape(name) for name in names) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"Order by {', '.join(names)}; a leading - for descending; several separated by "
                "commas. Anything else: 400.",
                "schema": {"type": "string", "pattern": f"^{term}(,{term})*$"},
            }
        ]


# --- Pagination ------------------------------------------------------------------------------------------------------


class StrictPageNumberPagination(PageNumberPagination):
    """``?page=`` is a whole number from 1, given once (else 400); past the last page: 404."""

    last_page_strings = ()

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1:
            raise ValidationError({self.page_query_param: [REPEATED_MESSAGE]})
        if not INTEGER_TEXT.fullmatch(values[0]) or int(values[0]) < 1:
            raise ValidationError({self.page_query_param: [_("Give a page number: a whole number from 1.")]})
        return int(values[0])

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = "A page number from 1 (past the last page: 404)."
        return parameters


def validated_query(request, serializer_class) -> dict:
    """The query parameters of a view without a FilterSet, validated by ``serializer_class`` with the same rule:
    a known parameter given empty or more than once is a 400, as is an invalid value; unknown names are ignored."""
    serializer = serializer_class(data=request.query_params)
    errors = {}
    for name in serializer.fields:
        values = request.query_params.getlist(name)
        if len(values) > 1:
            errors[name] = [REPEATED_MESSAGE]
        elif values and not values[0].strip():
            errors[name] = [EMPTY_MESSAGE]
    if errors:
        raise ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
