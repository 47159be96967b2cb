"""The API's serializer bases: a value of the wrong type is refused with 400, never coerced.

DRF is lenient on input: a ``CharField`` turns ``0`` into ``"0"``, a ``BooleanField`` takes ``0``, ``1``, ``"yes"``
or ``"on"``, an ``IntegerField`` takes ``"1.0"`` and ``true``, a ``DecimalField`` a binary float. Every serializer of
the API extends ``StrictSerializer`` or ``StrictModelSerializer``, which check the type of each incoming value as it
came on the wire before DRF converts it:

| field | JSON | form (``application/x-www-form-urlencoded``, ``multipart/form-data``) |
| --- | --- | --- |
| text (``CharField``, slug, e-mail…), date, time | a string | any value |
| ``BooleanField`` | ``true`` / ``false`` | ``true`` / ``false`` (``True`` / ``False``) |
| ``IntegerField``, a reference (``PrimaryKeyRelatedField``) | a number without fraction, not a boolean | digits |
| ``DecimalField`` (money, percent) | a string of digits, e.g. ``"1250.00"``, as the API writes them | digits |
| ``FloatField`` | a number, not a boolean | any value DRF reads |
| ``ChoiceField`` | of the choices' type (a string for text choices) | any value |
| a list (``ListField``, many references) | a list, each item by the rule above | each item by the rule above |

In a form a field given more than once is refused too (except lists), and so is an empty value where DRF would read
"not given" (an optional field that takes neither blank nor null). ``null`` is left to ``allow_null``. The rule
matches what the OpenAPI schema already says of each field (string, boolean, integer, decimal as a string), so the
schema stays truthful.
"""

import re
from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.utils import html

INTEGER_TEXT = re.compile(r"-?[0-9]+")
FORM_BOOLEANS = ("true", "false", "True", "False")
TEXT_FIELDS = (
    serializers.CharField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.UUIDField,
    serializers.SlugRelatedField,
)


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The exact spelling a decimal field takes (and the schema documents): digits, at most ``max_digits -
    decimal_places`` before the point and ``decimal_places`` after it; no exponent, no blank, no ``NaN``."""
    whole = "+" if field.max_whole_digits is None else f"{{1,{field.max_whole_digits}}}"
    fraction = rf"(\.[0-9]{{1,{field.decimal_places}}})?" if field.decimal_places else ""
    return rf"^-?[0-9]{whole}{fraction}$"


def _is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer_keys(field: serializers.ChoiceField) -> bool:
    return bool(field.choices) and all(_is_integer(key) for key in field.choices)


def wire_type_error(field: serializers.Field, value, *, form: bool) -> str | None:
    """Why ``value``, as received, is not of ``field``'s type (None: it is, or the field checks it itself)."""
    if value is None:
        return None  # allow_null decides
    if isinstance(field, serializers.ManyRelatedField | serializers.ListField):
        child = field.child_relation if isinstance(field, serializers.ManyRelatedField) else field.child
        if not isinstance(value, list):
            return None if form else _("Give a list.")
        errors = [wire_type_error(child, item, form=form) for item in value]
        return next(
            (
                _("Item %(index)d: %(error)s") % {"index": index, "error": error}
                for index, error in enumerate(errors)
                if error
            ),
            None,
        )
    if isinstance(field, serializers.FileField | serializers.JSONField | serializers.DictField):
        return None
    if isinstance(field, serializers.BooleanField):
        ok = value in FORM_BOOLEANS if form else isinstance(value, bool)
        return None if ok else _("Give true or false.")
    if isinstance(field, serializers.IntegerField | serializers.PrimaryKeyRelatedField):
        ok = isinstance(value, str) and bool(INTEGER_TEXT.fullmatch(value)) if form else _is_integer(value)
        return None if ok else _("Give a whole number.")
    if isinstance(field, serializers.DecimalField):
        ok = isinstance(value, str) and bool(re.fullmatch(decimal_pattern(field), value))
        return None if ok else _('Give the number as a string of digits, e.g. "1250.00".')
    if isinstance(field, serializers.FloatField):
        ok = form or (isinstance(value, int | float) and not isinstance(value, bool))
        return None if ok else _("Give a number.")
    if form:
        return None
    if isinstance(field, serializers.ChoiceField):
        ok = _is_integer(value) if _integer_keys(field) else isinstance(value, str)
        return None if ok else _("Give one of the choices.")
    if isinstance(field, TEXT_FIELDS):
        return None if isinstance(value, str) else _("Give a string.")
    return None


def form_spelling_error(field: serializers.Field, data) -> str | None:
    """A form field given twice, or given empty where DRF would silently read "not given" (an optional field that
    takes neither blank nor null)."""
    if field.field_name not in data or isinstance(
        field, serializers.ManyRelatedField | serializers.ListField | serializers.FileField
    ):
        return None
    values = data.getlist(field.field_name)
    if len(values) > 1:
        return _("Give this field once.")
    if values == [""] and not (field.required or field.allow_null or getattr(field, "allow_blank", False)):
        return _("Give a value, or leave the field out.")
    return None


class PatternField(serializers.CharField):
    """Text matching ``pattern`` entirely (``re.fullmatch``), documented with the pattern."""

    def __init__(self, pattern: str, **kwargs):
        super().__init__(**kwargs)
        self.pattern = pattern
        extend_schema_field({"type": "string", "pattern": pattern})(self)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not re.fullmatch(self.pattern, value):
            raise serializers.ValidationError(_("Give a value matching %(pattern)s.") % {"pattern": self.pattern})
        return value


class StrictInputMixin:
    """Checks every writable field's incoming type (``wire_type_error``) before DRF converts it; errors are merged
    with DRF's own into one field map."""

    def to_internal_value(self, data):
        type_errors: dict[str, list[str]] = {}
        if isinstance(data, Mapping):
            form = html.is_html_input(data)
            for field in self._writable_fields:
                message = form_spelling_error(field, data) if form else None
                if message:
                    type_errors[field.field_name] = [message]
                    continue
                value = field.get_value(data)
                if value is empty:
                    continue
                message = wire_type_error(field, value, form=form)
                if message:
                    type_errors[field.field_name] = [message]
        try:
            validated = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if type_errors and isinstance(error.detail, Mapping):
                raise serializers.ValidationError({**error.detail, **type_errors}) from None
            raise
        if type_errors:
            raise serializers.ValidationError(type_errors)
        return validated


class StrictSerializer(StrictInputMixin, serializers.Serializer):
    """``serializers.Serializer`` that refuses values of the wrong type (see the module)."""


class StrictModelSerializer(StrictInputMixin, serializers.ModelSerializer):
    """``serializers.ModelSerializer`` that refuses values of the wrong type (see the module)."""
