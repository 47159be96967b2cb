"""The portal's languages (issue 15): English, German and French.

Each language is named in itself (a German reader looks for "Deutsch", not for a translation of "German"), so the
names need no translation. Plain data: the settings, the user model and the language menu read it.
"""

DEFAULT_LANGUAGE = "en-gb"

LANGUAGES = [
    ("en-gb", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
]
LANGUAGE_CODES = frozenset(code for code, _name in LANGUAGES)
