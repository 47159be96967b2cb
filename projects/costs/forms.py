"""Forms of the costs page: a cost entry, a CSV import, an invoice."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.form_fields import PlausibleDateField
from projects.costs.models import CostCategory
from projects.list_forms import ListFilterForm
from projects.pages import money_field


class CostEntryForm(forms.Form):
    date = PlausibleDateField(initial=timezone.localdate, label=_("Date"))
    amount = money_field(label=_("Amount"), help_text=_("In the project's currency; negative for a credit."))
    category = forms.ChoiceField(choices=CostCategory.choices, label=_("Category"))
    description = forms.CharField(required=False, max_length=300, label=_("Description"))


class CostImportForm(forms.Form):
    """CSV of cost entries, pasted or uploaded: header ``date,amount,category[,description]``."""

    MAX_BYTES = 2_000_000

    text = forms.CharField(
        required=False,
        label=_("Paste CSV"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "date,amount,category,description"}),
    )
    file = forms.FileField(required=False, label=_("or upload a .csv file"))

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError({"file": _("The file is larger than 2 MB.")})
            try:
                data["csv"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError as error:
                raise forms.ValidationError({"file": _("The file is not UTF-8 text.")}) from error
        elif (data.get("text") or "").strip():
            data["csv"] = data["text"]
        else:
            raise forms.ValidationError(_("Paste CSV rows or choose a file."))
        return data


class InvoiceForm(forms.Form):
    number = forms.CharField(max_length=40, label=_("Number"))
    date = PlausibleDateField(initial=timezone.localdate, label=_("Date"))
    amount = money_field(min_value=0, label=_("Amount"))
    description = forms.CharField(required=False, max_length=300, label=_("Description"))


class CostEntryFilterForm(ListFilterForm):
    """The cost entries' filters: category and a date range (inclusive)."""

    category = forms.ChoiceField(
        required=False, label=_("Category"), choices=[("", _("Any category")), *CostCategory.choices]
    )
    since = PlausibleDateField(required=False, label=_("From"))
    until = PlausibleDateField(required=False, label=_("To"))

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("“From” must be on or before “To”."))
        return data
