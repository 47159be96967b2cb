"""Form fields and widgets every app's forms use, so inputs round-trip unchanged.

A browser's ``<input type="date">`` accepts only ISO dates (``YYYY-MM-DD``); Django's
``DateInput`` renders the locale's first input format (``07/01/2027`` in en-GB), which the
browser shows as empty and then submits as empty. ``ISODateInput`` always renders ISO.
"""

from django import forms

from core.input_ranges import EARLIEST_DATE, LATEST_DATE, date_in_range, date_out_of_range_message

ISO_DATE = "%Y-%m-%d"


class ISODateInput(forms.DateInput):
    """A native date picker whose value is always ISO, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        attrs = {"min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat(), **(attrs or {})}
        super().__init__(attrs=attrs, format=ISO_DATE)


class PlausibleDateField(forms.DateField):
    """A date between 2000-01-01 and 2100-12-31, entered with ``ISODateInput``."""

    widget = ISODateInput

    def clean(self, value):
        day = super().clean(value)
        if not date_in_range(day):
            raise forms.ValidationError(date_out_of_range_message(), code="out_of_range")
        return day
