"""``{{ client.name|possessive }}``: "Aurora Biologics’", "Borealis Pharma’s".

A name ending in s takes a bare apostrophe; the apostrophe is the typographic one.
"""

from django import template

register = template.Library()


@register.filter(is_safe=True)
def possessive(name) -> str:
    text = str(name)
    if not text:
        return text
    return f"{text}’" if text[-1] in "sS" else f"{text}’s"
