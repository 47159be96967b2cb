"""A software WebAuthn authenticator (and the browser's part of a ceremony) for the server tests of passkeys.

It makes real P-256 credentials, "none" attestation objects and ECDSA-signed assertions, exactly as a platform
authenticator would, so django-otp-webauthn and py_webauthn check them for real. The browser test uses Chromium's
own virtual authenticator instead (tests/browser/test_passkeys.py).
"""

import hashlib
import json
import os
from base64 import urlsafe_b64decode, urlsafe_b64encode

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

FLAG_USER_PRESENT = 0x01
FLAG_USER_VERIFIED = 0x04
FLAG_ATTESTED_DATA = 0x40


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    def __init__(self, origin: str = "http://testserver"):
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})  # EC2, ES256, P-256

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}).encode()

    def create(self, options: dict) -> dict:
        """navigator.credentials.create(): the registration response for the server's creation options."""
        client_data = self._client_data("webauthn.create", options["challenge"])
        rp_id_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        flags = FLAG_USER_PRESENT | FLAG_USER_VERIFIED | FLAG_ATTESTED_DATA
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
        auth_data = rp_id_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested
        auth_data += self._cose_public_key()
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {"credProps": {"rk": True}},
            "authenticatorAttachment": "platform",
        }

    def get(self, options: dict, *, rp_id: str = "testserver", tamper: bool = False) -> dict:
        """navigator.credentials.get(): a signed assertion for the server's request options."""
        client_data = self._client_data("webauthn.get", options["challenge"])
        self.sign_count += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([FLAG_USER_PRESENT | FLAG_USER_VERIFIED])
            + self.sign_count.to_bytes(4, "big")
        )
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        if tamper:
            signature = signature[:-1] + bytes([signature[-1] ^ 1])
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
