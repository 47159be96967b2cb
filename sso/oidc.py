"""The portal as an OpenID Connect relying party (Authlib's Django client), one client object per provider row.

Authorization code flow with PKCE (S256), ``state`` and ``nonce`` kept in the session; the ID token's signature is
checked against the provider's published keys (JWKS, asymmetric algorithms only) and its ``iss``, ``aud``, ``exp``,
``iat`` and ``nonce`` are validated by Authlib. The discovery document must name exactly the configured issuer, and
every endpoint it names must be https (plain http to a loopback address only with ``SSO_ALLOW_INSECURE_LOOPBACK``,
which the test settings set for the provider the suite starts on 127.0.0.1).
"""

import ipaddress
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from joserfc.errors import JoseError

from sso.models import OidcProvider

SCOPE = "openid email"
TIMEOUT = (5, 10)  # seconds: connect, read
# Signatures checked with the provider's public keys only: no "none", no HMAC with the client secret.
SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LOOPBACK_NAMES = {"localhost"}
USED_METADATA = (
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "id_token_signing_alg_values_supported",
)


class ProviderError(Exception):
    """The provider could not be reached, or answered something a conforming provider does not."""


#: What can go wrong talking to a provider or checking its answer: each is a refused sign-in, never a 500.
FLOW_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ProviderError, ValueError, KeyError, TypeError)


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_allowed(url: str) -> bool:
    """https anywhere; http only to a loopback address, and only where SSO_ALLOW_INSECURE_LOOPBACK is on (tests)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and settings.SSO_ALLOW_INSECURE_LOOPBACK and _is_loopback(parts.hostname)


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def server_metadata(provider: OidcProvider) -> dict:
    """The provider's discovery document, checked: it names the configured issuer and only allowed endpoints."""
    if not url_allowed(provider.issuer):
        raise ProviderError("The issuer URL must be https.")
    response = requests.get(discovery_url(provider.issuer), timeout=TIMEOUT, allow_redirects=False)
    response.raise_for_status()
    metadata = response.json()
    if not isinstance(metadata, dict) or metadata.get("issuer") != provider.issuer:
        raise ProviderError("The discovery document names another issuer.")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(metadata.get(name), str) or not url_allowed(metadata[name]):
            raise ProviderError(f"The discovery document's {name} is missing or not https.")
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    metadata["id_token_signing_alg_values_supported"] = [alg for alg in SIGNING_ALGORITHMS if alg in offered]
    if not metadata["id_token_signing_alg_values_supported"]:
        raise ProviderError("The provider signs ID tokens with no algorithm the portal accepts.")
    # Only what the flow uses: Authlib hands metadata to its session as settings, so nothing else may ride along
    # (a "scope" or "code_challenge_method" of the provider's would override the portal's own); keys come from
    # jwks_uri, never inline.
    return {key: metadata[key] for key in USED_METADATA}


def id_token_claims_options(provider: OidcProvider) -> dict:
    """What the ID token must say besides signature, nonce, exp and iat (Authlib checks those): issued by the configured
    issuer, for this portal's client ID (``aud``; Authlib alone would let a token for another audience through when
    its ``azp`` names the portal), about someone (``sub``)."""
    return {
        "iss": {"essential": True, "value": provider.issuer},
        "aud": {"essential": True, "value": provider.oidc_client_id},
        "sub": {"essential": True},
    }


def relying_party(provider: OidcProvider, metadata: dict) -> DjangoOAuth2App:
    """Authlib's client for this provider, configured from its row (not from settings) and its checked metadata."""
    name = f"sso-{provider.pk}"
    app = DjangoOAuth2App(
        DjangoIntegration(name),
        name=name,
        client_id=provider.oidc_client_id,
        client_secret=provider.oidc_client_secret,
        client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "default_timeout": TIMEOUT},
    )
    app.server_metadata = dict(metadata)
    return app
