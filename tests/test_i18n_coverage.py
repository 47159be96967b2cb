"""Every user-visible string is marked for translation (issue 15: "every page, e-mail and PDF translated").

tests/test_i18n.py proves that what is *marked* is translated into German and French; this proves that what a person
reads is *marked*, for the class of texts rather than a list of pages, so a new template or form with plain English
fails here:

- templates (pages, partials, e-mails, PDFs): any text between tags, and any ``title``, ``placeholder``,
  ``aria-label`` or ``alt`` attribute (or an <input> button's ``value``), that is not inside ``{% translate %}`` /
  ``{% blocktranslate %}`` and holds a word (technical tokens such as "CSV" or "UTC" excepted);
- Python: the message of ``ValidationError`` (and the portal's refusals that reach a page), ``messages.*`` texts, the
  ``label`` / ``help_text`` / ``verbose_name`` of form, model and serializer fields, ``Meta.labels`` and
  ``help_texts``, and the labels of choices, whenever they are a plain or formatted string literal.

A line that truly shows no text to a person (a log line, a machine value) says so with ``# i18n: exempt`` and why.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

BASE_DIR = Path(settings.BASE_DIR)
TEMPLATES = sorted(p for p in (BASE_DIR / "templates").rglob("*") if p.suffix in (".html", ".txt"))
PYTHON_ROOTS = ("clients", "core", "projects", "metrics", "integrations", "sso", "cmo_portal")
PYTHON = sorted(
    p
    for root in PYTHON_ROOTS
    for p in (BASE_DIR / root).rglob("*.py")
    if "migrations" not in p.relative_to(BASE_DIR).parts
)

# Words that read the same in English, German and French (acronyms, units, product and standard names).
SAME_IN_EVERY_LANGUAGE = {
    "API",
    "CAPA",
    "CMO",
    "CPI",
    "CSV",
    "DOCX",
    "EV",
    "ID",
    "ISO",
    "JSON",
    "KPI",
    "KPIs",
    "OIDC",
    "OK",
    "PDF",
    "PM",
    "PMs",
    "QR",
    "RAG",
    "SHA",
    "SPI",
    "SSO",
    "TOTP",
    "UTC",
    "XLSX",
    "XML",
    "CMO's",
    "Portal",
    "MS",
    "iCal",
    "ICS",
    "vs",
    "EUR",
    "USD",
    "CHF",
    "GBP",
    "HMAC",
    "URL",
    "OTP",
    "CoA",
    "GxP",
    "WIP",
    "CR",
    "CRs",
}
PLACEHOLDER = "\x00"
WORD = re.compile(r"[^\W\d_]{2,}(?:'[^\W\d_]+)?")
RAW_TAGS = ("script", "style", "code", "kbd", "samp")
TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "aria-description"}


def _words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.replace(PLACEHOLDER, " ")) if w not in SAME_IN_EVERY_LANGUAGE]


def _unmarked_source(source: str) -> str:
    """The template with every Django tag, variable, comment and translated block replaced by a placeholder (the
    line breaks kept, so positions still name the line)."""
    parts: list[str] = []
    translating = commenting = False
    for token in Lexer(source).tokenize():
        breaks = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents.split() else ""
            if name in ("blocktranslate", "blocktrans"):
                translating = True
            elif name in ("endblocktranslate", "endblocktrans"):
                translating = False
            elif name == "comment":
                commenting = True
            elif name == "endcomment":
                commenting = False
            parts.append(PLACEHOLDER + breaks)
        elif token.token_type in (TokenType.VAR, TokenType.COMMENT):
            parts.append(PLACEHOLDER + breaks)
        elif translating or commenting:
            parts.append(PLACEHOLDER + breaks)
        else:
            parts.append(token.contents)
    return "".join(parts)


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0  # inside <script>, <style> or <code> (a command or an identifier is not translated)

    def handle_starttag(self, tag, attrs):
        if tag in RAW_TAGS:
            self._raw += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in TEXT_ATTRIBUTES or (
                # an <input>'s value is its caption; a <button>'s value is an action code (its content is shown)
                name == "value" and tag == "input" and values.get("type") in ("submit", "button", "reset")
            )
            if shown and value and _words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.replace(PLACEHOLDER, "…")}"'))

    def handle_endtag(self, tag):
        if tag in RAW_TAGS and self._raw:
            self._raw -= 1

    def handle_data(self, data):
        if not self._raw and _words(data):
            self.found.append((self.getpos()[0], " ".join(data.replace(PLACEHOLDER, "…").split())))


def untranslated_template_text(path: Path) -> list[str]:
    source = _unmarked_source(path.read_text())
    if path.suffix == ".txt":  # e-mail bodies and subjects: every line is text
        return [
            f"{path.relative_to(BASE_DIR)}:{number}: {' '.join(line.replace(PLACEHOLDER, '…').split())}"
            for number, line in enumerate(source.splitlines(), 1)
            if _words(line)
        ]
    finder = _TextFinder()
    finder.feed(source)
    finder.close()
    return [f"{path.relative_to(BASE_DIR)}:{line}: {text}" for line, text in finder.found]


# --- Python ----------------------------------------------------------------------------------------------------------

REFUSALS = {
    "ValidationError",
    "SignaturePasswordRejected",
    "SurveyRefused",
    "PlanFileRefused",
    "FileRefused",
    "SsoRefused",
    "ViewAsRefused",
}
MESSAGE_LEVELS = {"success", "error", "info", "warning", "debug"}
FIELD_TEXT_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
FIELD_MODULES = {"forms", "models", "serializers", "filters", "django_filters"}
CHOICES_BASES = {"TextChoices", "IntegerChoices", "Choices"}


def _literals(node: ast.AST | None) -> list[ast.AST]:
    """The plain or formatted string literals that ``node`` shows as text (in dicts: the values; in lists: items)."""
    if node is None:
        return []
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        return [node] if _words(_literal_text(node)) else []
    if isinstance(node, ast.Dict):
        return [lit for value in node.values for lit in _literals(value)]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [lit for item in node.elts for lit in _literals(item)]
    if isinstance(node, ast.BinOp):  # "text %s" % value, "a" + "b"
        return _literals(node.left)
    return []


def _literal_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    return ""


def _callee(call: ast.Call) -> tuple[str | None, str]:
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else None
        return owner, func.attr
    if isinstance(func, ast.Name):
        return None, func.id
    return None, ""


class _PythonFinder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[ast.AST] = []

    def visit_Call(self, node: ast.Call) -> None:
        owner, name = _callee(node)
        if name in REFUSALS:
            self.found += _literals(node.args[0] if node.args else None)
            self.found += [lit for k in node.keywords if k.arg == "message" for lit in _literals(k.value)]
        elif owner == "messages" and name in MESSAGE_LEVELS and len(node.args) >= 2:
            self.found += _literals(node.args[1])
        if owner in FIELD_MODULES or name in ("ChoiceField", "CharField", "ModelChoiceField"):
            self.found += [lit for k in node.keywords if k.arg in FIELD_TEXT_KEYWORDS for lit in _literals(k.value)]
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        bases = {b.attr if isinstance(b, ast.Attribute) else getattr(b, "id", "") for b in node.bases}
        for statement in node.body:
            if not isinstance(statement, ast.Assign):
                continue
            targets = {t.id for t in statement.targets if isinstance(t, ast.Name)}
            if bases & CHOICES_BASES and isinstance(statement.value, ast.Tuple) and len(statement.value.elts) >= 2:
                self.found += _literals(statement.value.elts[-1])
            if node.name == "Meta" and targets & {"labels", "help_texts", "verbose_name", "verbose_name_plural"}:
                self.found += _literals(statement.value)
        self.generic_visit(node)


def untranslated_python_text(path: Path) -> list[str]:
    source = path.read_text()
    lines = source.splitlines()
    finder = _PythonFinder()
    finder.visit(ast.parse(source))
    found = []
    for node in finder.found:
        line = node.lineno  # type: ignore[attr-defined]
        end = getattr(node, "end_lineno", line) or line
        if any("# i18n: exempt" in lines[n - 1] for n in range(max(1, line - 1), end + 1)):
            continue
        found.append(f"{path.relative_to(BASE_DIR)}:{line}: {_literal_text(node)[:90]!r}")
    return found


# --- The checks ------------------------------------------------------------------------------------------------------


def test_the_checks_see_what_a_person_reads():
    """The finders catch plain text and leave marked text alone (so an empty result below means something)."""
    page = '{% load i18n %}<h1>Milestones</h1><p>{% translate "Due" %} {{ date }}</p><a title="Open it">x</a>'
    marked = (
        '{% load i18n %}<h1>{% translate "Milestones" %}</h1>{% blocktranslate %}Due {{ d }}{% endblocktranslate %}'
    )
    assert [text for _, text in _scan(page)] == ["Milestones", 'title="Open it"']
    assert _scan(marked) == []
    assert _scan("<script>const words = 'not text';</script><p>CSV · PDF <code>manage.py check</code></p>") == []
    module = (
        "from django import forms\n"
        "class F(forms.Form):\n"
        "    name = forms.CharField(label='Name', help_text=_('Marked'))\n"
        "def f():\n"
        "    raise ValidationError({'name': f'Too long by {n}'})\n"
        "class S(models.TextChoices):\n"
        "    OPEN = 'open', 'Open'\n"
        "    DONE = 'done', _('Done')\n"
    )
    finder = _PythonFinder()
    finder.visit(ast.parse(module))
    assert [_literal_text(n) for n in finder.found] == ["Name", "Too long by ", "Open"]


def _scan(source: str) -> list[tuple[int, str]]:
    finder = _TextFinder()
    finder.feed(_unmarked_source(source))
    finder.close()
    return finder.found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(BASE_DIR / "templates")))
def test_template_text_is_marked_for_translation(path):
    found = untranslated_template_text(path)
    assert not found, "Text a person reads is not marked for translation:\n" + "\n".join(found)


@pytest.mark.parametrize("path", PYTHON, ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_python_user_text_is_marked_for_translation(path):
    found = untranslated_python_text(path)
    assert not found, "Text a person reads is not marked for translation (gettext / gettext_lazy):\n" + "\n".join(found)
