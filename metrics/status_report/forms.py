"""The report's period: two dates (ISO), at most ``MAX_PERIOD_DAYS`` apart; empty means the last two weeks."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.form_fields import PlausibleDateField
from metrics.status_report.selectors import MAX_PERIOD_DAYS, default_period


class StatusReportPeriodForm(forms.Form):
    start = PlausibleDateField(required=False, label=_("From"))
    end = PlausibleDateField(required=False, label=_("To"))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        default_start, default_end = default_period()
        end = cleaned.get("end") or default_end
        start = cleaned.get("start") or (end - (default_end - default_start))
        if start > end:
            raise forms.ValidationError(_("The period's start must be on or before its end."), code="reversed")
        if (end - start).days + 1 > MAX_PERIOD_DAYS:
            raise forms.ValidationError(
                _("A status report covers at most %(days)s days; choose a shorter period.") % {"days": MAX_PERIOD_DAYS},
                code="too_long",
            )
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def period(self):
        """(start, end) of a valid form."""
        return self.cleaned_data["start"], self.cleaned_data["end"]
