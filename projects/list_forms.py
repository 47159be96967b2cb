"""What the filter forms of the record lists share (GET forms: they write nothing)."""

from django import forms


class ListFilterForm(forms.Form):
    """The filters of a record list (GET): writes nothing. An invalid value is shown as the form's error and the
    list shows everything (a page, not an API: no 400), as on the project list (``projects.listing``)."""

    @property
    def filters(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "", False)} if self.is_valid() else {}

    @property
    def filtered(self) -> bool:
        return bool(self.filters)
