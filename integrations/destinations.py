"""Where a webhook may go, and the one HTTP POST that sends it (no redirects, a short timeout, no private hosts).

SSRF: the portal runs inside the CMO's network, so a URL an administrator types must not make it call an internal
service. Only ``https://`` is accepted, without credentials in the URL; the host's addresses are resolved at every
send and each must be a public (global) address, and the connection goes to the address that was checked (no second
lookup an attacker's DNS could answer differently). ``WEBHOOKS_ALLOW_LOOPBACK_HTTP`` (the test settings only) also
allows ``http://127.0.0.1``, ``http://[::1]`` and ``http://localhost``.
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
USER_AGENT = "CMO-Portal-Webhooks/1"
RESPONSE_KEPT = 2000


def _loopback_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_LOOPBACK_HTTP", False))


def _refused_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if _loopback_allowed() and ip.is_loopback:
        return False
    return not ip.is_global or ip.is_multicast


def url_check(url: str) -> str:
    """The URL, cleaned, or ValidationError with a sentence (no lookup: that happens at every send)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise ValidationError(_("Enter a valid URL (https://…).")) from error
    host = (parts.hostname or "").lower()
    loopback_http = parts.scheme == "http" and host in LOOPBACK_NAMES and _loopback_allowed()
    if parts.scheme != "https" and not loopback_http:
        raise ValidationError(_("The address must start with https:// (deliveries are never sent in clear text)."))
    if not host:
        raise ValidationError(_("Enter the receiver's host name."))
    if parts.username or parts.password:
        raise ValidationError(_("Do not put credentials in the address: deliveries are signed instead."))
    if parts.fragment:
        raise ValidationError(_("Remove the #fragment: it is never sent."))
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and _refused_address(host):
        raise ValidationError(_("The address points at a private, loopback or reserved IP; use a public host."))
    if not loopback_http and (host == "localhost" or host.endswith((".localhost", ".local", ".internal"))):
        raise ValidationError(_("The address points at a local host name; use a public host."))
    if port == 0:
        raise ValidationError(_("Enter a valid port."))
    return url


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer (refused, timeout, bad certificate, private address)
    body: str
    error: str
    milliseconds: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address; the certificate is verified against the host name (SNI)."""

    def __init__(self, host, address, port, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _checked_address(host: str, port: int) -> str:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise OSError(f"{host} has no address")
    refused = [a for a in addresses if _refused_address(a)]
    if refused:
        raise PermissionError(f"{host} resolves to a private, loopback or reserved address ({refused[0]})")
    return addresses[0]


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> Answer:
    """POST ``body`` once; redirects are answers (3xx), never followed. Never raises for a network fault."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        url_check(url)
        parts = urlsplit(url)
        https = parts.scheme == "https"
        port = parts.port or (443 if https else 80)
        address = _checked_address(parts.hostname or "", port)
        connection_class = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = connection_class(parts.hostname, address, port, timeout)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "application/json", "User-Agent": USER_AGENT, **headers},
            )
            response = connection.getresponse()
            text = response.read(RESPONSE_KEPT * 4).decode("utf-8", "replace")[:RESPONSE_KEPT]
            return Answer(status=response.status, body=text, error="", milliseconds=took())
        finally:
            connection.close()
    except ValidationError as error:
        return Answer(status=None, body="", error=" ".join(error.messages)[:500], milliseconds=took())
    except (OSError, http.client.HTTPException) as error:  # refused, timeout, TLS, DNS, a private address
        return Answer(status=None, body="", error=f"{type(error).__name__}: {error}"[:500], milliseconds=took())
