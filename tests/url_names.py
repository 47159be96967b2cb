"""Every named URL the portal serves, for the suites that must cover each one (isolation, invisibility)."""

from django.urls import URLPattern, URLResolver, get_resolver

# Served to anyone, before login: the same for everyone.
PUBLIC = {"login", "healthz", "readyz", "api:token", "api:schema", "api:docs", "api:redoc"}
# Password reset by e-mail (issue 15): the same form and answers for everyone, known address or not.
PUBLIC |= {"password_reset", "password_reset_done", "password_reset_confirm", "password_reset_complete"}
# Single sign-on (issue 15): the e-mail form and the provider's callback, the same for everyone (tests/sso/).
PUBLIC |= {"sso-start", "sso-callback"}


def _walk(patterns, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin: staff-only by its own login (tests/test_isolation.py checks it)
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def all_url_names() -> set[str]:
    return _walk(get_resolver().url_patterns)
