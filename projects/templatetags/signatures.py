"""``{{ signature.verdict|verdict_text }}``: a signature's verdict in the reader's language. The verdict itself is a
stable English value (the API returns it and the audit trail records it); pages show its translation."""

from django import template
from django.utils.translation import gettext_lazy

from projects.documents.services import FILE_CHANGED, FILE_MISSING, RECORD_CHANGED
from projects.signatures.services import VERDICT_TEXTS

register = template.Library()

SHOWN = {
    **VERDICT_TEXTS,
    FILE_CHANGED: gettext_lazy("signature invalid (file changed since signed)"),
    RECORD_CHANGED: gettext_lazy("signature invalid (version changed since signed)"),
    FILE_MISSING: gettext_lazy("signature invalid (file missing)"),
}


@register.filter
def verdict_text(verdict: str) -> str:
    return str(SHOWN.get(verdict, verdict))
