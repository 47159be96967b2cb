"""Reads of the sign-in flow (before anyone is logged in: no user to scope by, so only active providers)."""

from sso.models import OidcProvider


def email_domain(email: str) -> str:
    return email.rsplit("@", 1)[-1].strip().lower() if "@" in email else ""


def provider_for_email(email: str) -> OidcProvider | None:
    """The active provider of an active client whose domains include the address's, or None."""
    domain = email_domain(email)
    if not domain:
        return None
    return (
        OidcProvider.objects.select_related("client")
        .filter(active=True, client__active=True, domains__domain__iexact=domain)
        .first()
    )


def active_provider(pk) -> OidcProvider | None:
    return OidcProvider.objects.select_related("client").filter(pk=pk, active=True, client__active=True).first()
