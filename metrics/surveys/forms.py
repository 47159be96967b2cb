"""The survey form: CSAT 1–5 on five aspects, NPS 0–10 and a comment."""

from django import forms

CSAT_QUESTIONS = (
    ("csat_communication", "Communication", "How well do we keep you informed?"),
    ("csat_responsiveness", "Responsiveness", "How quickly do we answer and act?"),
    ("csat_quality", "Quality", "How satisfied are you with the quality of our work?"),
    ("csat_schedule", "Schedule", "How well do we keep to the agreed dates?"),
    ("csat_overall", "Overall", "Overall, how satisfied are you with us on this project?"),
)


def _scale(label: str, low: int, high: int, help_text: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=[(n, str(n)) for n in range(low, high + 1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Pick one."},
    )


class SurveyAnswerForm(forms.Form):
    csat_communication = _scale("Communication", 1, 5, CSAT_QUESTIONS[0][2])
    csat_responsiveness = _scale("Responsiveness", 1, 5, CSAT_QUESTIONS[1][2])
    csat_quality = _scale("Quality", 1, 5, CSAT_QUESTIONS[2][2])
    csat_schedule = _scale("Schedule", 1, 5, CSAT_QUESTIONS[3][2])
    csat_overall = _scale("Overall", 1, 5, CSAT_QUESTIONS[4][2])
    nps = _scale(
        "Recommend us", 0, 10, "How likely are you to recommend us to a colleague? 0 = not at all, 10 = extremely."
    )
    comment = forms.CharField(
        required=False,
        max_length=4000,
        label="Anything to add? (optional)",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What should we keep doing, or change?"}),
    )

    CSAT_NAMES = tuple(name for name, _, _ in CSAT_QUESTIONS)

    def csat_fields(self):
        return [self[name] for name in self.CSAT_NAMES]

    def answers(self) -> dict[str, int]:
        return {name: self.cleaned_data[name] for name in (*self.CSAT_NAMES, "nps")}
