"""A small but real OpenID Connect provider for the tests, served over HTTP on 127.0.0.1 (a random port).

It implements the authorization code flow as a provider must: discovery (``/.well-known/openid-configuration``),
``/authorize`` (client and exact redirect URI checked, PKCE S256 required; it "signs in" whoever the test set with
``sign_in_as`` without showing a page), ``/token`` (client authentication by HTTP Basic or form, single-use codes,
redirect URI and PKCE verifier checked) and ``/jwks``. ID tokens are RS256 JWTs signed with joserfc. The portal
talks to it over real HTTP, exactly as to a company's Entra ID or Keycloak; nothing of the portal is mocked.

Tests can make it misbehave the ways a hostile or broken provider would: ``id_token_changes`` alters or removes
claims (another ``aud``, a wrong ``nonce``, an expired ``exp``), ``signing_key`` signs with a key it does not
publish.
"""

import base64
import hashlib
import json
import secrets
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

KEY_ID = "test-provider-key-1"
REMOVE = object()  # in id_token_changes: leave the claim out


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


def new_key(kid: str = KEY_ID) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


class OidcTestProvider:
    def __init__(self) -> None:
        self.key = new_key()
        self._server = make_server("127.0.0.1", 0, self._app, server_class=_Server, handler_class=_QuietHandler)
        self.port = self._server.server_address[1]
        self.issuer = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="oidc-test-provider", daemon=True)
        self.reset()

    # --- what the tests set ------------------------------------------------------------------------------------

    def reset(self) -> None:
        self.clients: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.user: dict | None = None
        self.id_token_changes: dict = {}
        self.signing_key: RSAKey | None = None
        self.token_requests: list[dict] = []

    def register_client(self, client_id: str, secret: str, redirect_uri: str) -> None:
        self.clients[client_id] = {"secret": secret, "redirect_uri": redirect_uri}

    def sign_in_as(self, sub: str, email: str | None = None, email_verified: bool = True, **claims) -> None:
        """Who is signed in at the provider: ``/authorize`` approves them at once. Extra claims go into the token."""
        self.user = {"sub": sub, **({"email": email, "email_verified": email_verified} if email else {}), **claims}

    def start(self) -> "OidcTestProvider":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the provider ------------------------------------------------------------------------------------------

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
        }

    def _app(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ["REQUEST_METHOD"]
        if path == "/.well-known/openid-configuration" and method == "GET":
            return self._json(start_response, "200 OK", self.metadata())
        if path == "/jwks" and method == "GET":
            return self._json(start_response, "200 OK", KeySet([self.key]).as_dict(private=False))
        if path == "/authorize" and method == "GET":
            return self._authorize(environ, start_response)
        if path == "/token" and method == "POST":
            return self._token(environ, start_response)
        return self._json(start_response, "404 Not Found", {"error": "not_found"})

    @staticmethod
    def _json(start_response, status: str, body: dict, headers=()):
        data = json.dumps(body).encode()
        start_response(
            status,
            [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
            + list(headers),
        )
        return [data]

    @staticmethod
    def _redirect(start_response, uri: str, params: dict):
        parts = urlsplit(uri)
        query = urlencode([*parse_qsl(parts.query), *params.items()])
        start_response("302 Found", [("Location", urlunsplit(parts._replace(query=query))), ("Content-Length", "0")])
        return [b""]

    def _authorize(self, environ, start_response):
        params = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        client = self.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None or redirect_uri != client["redirect_uri"]:
            # Never redirect to an unregistered address (RFC 6749 4.1.2.1): an error page instead.
            return self._json(start_response, "400 Bad Request", {"error": "invalid_request"})
        state = {"state": params["state"]} if "state" in params else {}
        if params.get("response_type") != "code":
            return self._redirect(start_response, redirect_uri, {"error": "unsupported_response_type", **state})
        if "openid" not in params.get("scope", "").split():
            return self._redirect(start_response, redirect_uri, {"error": "invalid_scope", **state})
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return self._redirect(start_response, redirect_uri, {"error": "invalid_request", **state})
        if self.user is None:
            return self._redirect(start_response, redirect_uri, {"error": "access_denied", **state})
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "client_id": params["client_id"],
            "redirect_uri": redirect_uri,
            "nonce": params.get("nonce"),
            "code_challenge": params["code_challenge"],
            "user": dict(self.user),
            "issued": time.time(),
        }
        return self._redirect(start_response, redirect_uri, {"code": code, **state})

    def _client_credentials(self, environ, form: dict) -> tuple[str, str]:
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Basic "):
            decoded = base64.b64decode(header[6:]).decode()
            client_id, _, secret = decoded.partition(":")
            return unquote_plus(client_id), unquote_plus(secret)
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = {key: values[0] for key, values in parse_qs(environ["wsgi.input"].read(length).decode()).items()}
        self.token_requests.append(form)
        client_id, secret = self._client_credentials(environ, form)
        client = self.clients.get(client_id)
        if client is None or not secrets.compare_digest(client["secret"], secret):
            return self._json(start_response, "401 Unauthorized", {"error": "invalid_client"})
        if form.get("grant_type") != "authorization_code":
            return self._json(start_response, "400 Bad Request", {"error": "unsupported_grant_type"})
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if (
            grant is None
            or grant["client_id"] != client_id
            or grant["redirect_uri"] != form.get("redirect_uri")
            or time.time() - grant["issued"] > 60
        ):
            return self._json(start_response, "400 Bad Request", {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if not verifier or not secrets.compare_digest(challenge, grant["code_challenge"]):
            return self._json(start_response, "400 Bad Request", {"error": "invalid_grant"})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            **({"nonce": grant["nonce"]} if grant["nonce"] else {}),
            **grant["user"],
        }
        for name, value in self.id_token_changes.items():
            if value is REMOVE:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.signing_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
        body = {"access_token": secrets.token_urlsafe(24), "token_type": "Bearer", "expires_in": 300}
        return self._json(start_response, "200 OK", {**body, "id_token": id_token})
