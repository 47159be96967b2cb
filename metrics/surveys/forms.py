"""The survey form: CSAT 1–5 on five aspects, NPS 0–10 and a comment."""

from django import forms
from django.utils.translation import gettext_lazy as _

CSAT_QUESTIONS = (
    ("csat_communication", _("Communication"), _("How well do we keep you informed?")),
    ("csat_responsiveness", _("Responsiveness"), _("How quickly do we answer and act?")),
    ("csat_quality", _("Quality"), _("How satisfied are you with the quality of our work?")),
    ("csat_schedule", _("Schedule"), _("How well do we keep to the agreed dates?")),
    ("csat_overall", _("Overall"), _("Overall, how satisfied are you with us on this project?")),
)


def _scale(label, low: int, high: int, help_text) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=[(n, str(n)) for n in range(low, high + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Pick one.")},
    )


class SurveyAnswerForm(forms.Form):
    csat_communication = _scale(_("Communication"), 1, 5, CSAT_QUESTIONS[0][2])
    csat_responsiveness = _scale(_("Responsiveness"), 1, 5, CSAT_QUESTIONS[1][2])
    csat_quality = _scale(_("Quality"), 1, 5, CSAT_QUESTIONS[2][2])
    csat_schedule = _scale(_("Schedule"), 1, 5, CSAT_QUESTIONS[3][2])
    csat_overall = _scale(_("Overall"), 1, 5, CSAT_QUESTIONS[4][2])
    nps = _scale(
        _("Recommend us"),
        0,
        10,
        _("How likely are you to recommend us to a colleague? 0 = not at all, 10 = extremely."),
    )
    comment = forms.CharField(
        required=False,
        max_length=4000,
        label=_("Anything to add? (optional)"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What should we keep doing, or change?")}),
    )

    CSAT_NAMES = tuple(question[0] for question in CSAT_QUESTIONS)

    def csat_fields(self):
        return [self[name] for name in self.CSAT_NAMES]

    def answers(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in (*self.CSAT_NAMES, "nps")}
