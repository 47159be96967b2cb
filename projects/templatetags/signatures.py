"""``{{ signature.verdict|verdict_text }}``: a signature's verdict in the reader's language. The verdict itself is a
stable English value (the API returns it and the audit trail records it); pages show its translation
(``signatures.services.verdict_text``)."""

from django import template

from projects.signatures.services import verdict_text

register = template.Library()
register.filter("verdict_text", verdict_text)
