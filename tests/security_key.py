"""A security key in Python for the tests without a browser: an ES256 (P-256) credential that
answers the server's options as a real authenticator does (attestation "none"), so the
verification code paths run on real signatures, and a test can tamper with any part."""

import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

UP, UV, AT = 0x01, 0x04, 0x40


class SoftKey:
    def __init__(self, *, sign_count: int = 0, counter_step: int = 1):
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = sign_count
        self.counter_step = counter_step  # 0: a passkey that always sends 0

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,
                3: -7,
                -1: 1,
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    @staticmethod
    def _client_data(kind: str, options: dict, origin: str) -> bytes:
        return json.dumps(
            {
                "type": kind,
                "challenge": options["challenge"],
                "origin": origin,
                "crossOrigin": False,
            }
        ).encode()

    def _next_count(self) -> int:
        self.sign_count += self.counter_step
        return self.sign_count

    def create(
        self, options: dict, *, origin: str, rp_id: str | None = None, flags: int = UP | UV
    ) -> dict:
        """The answer to navigator.credentials.create() with these options (JSON form)."""
        rp_id = rp_id or options["rp"]["id"]
        client_data = self._client_data("webauthn.create", options, origin)
        credential = (
            bytes(16)  # AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_public_key()
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags | AT])
            + struct.pack(">I", self._next_count())
            + credential
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["usb"],
            },
        }

    def get(
        self, options: dict, *, origin: str, rp_id: str | None = None, flags: int = UP | UV
    ) -> dict:
        """The answer to navigator.credentials.get() with these options (JSON form)."""
        allowed = [c["id"] for c in options.get("allowCredentials", [])]
        assert not allowed or self.id in allowed, "this key is not among the allowed ones"
        rp_id = rp_id or options["rpId"]
        client_data = self._client_data("webauthn.get", options, origin)
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([flags])
            + struct.pack(">I", self._next_count())
        )
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(auth_data),
                "signature": bytes_to_base64url(signature),
                "userHandle": None,
            },
        }


def tampered(credential: dict, field: str, change) -> dict:
    """A copy of `credential` whose response field (base64url) went through change(bytes)."""
    response = dict(credential["response"])
    response[field] = bytes_to_base64url(change(base64url_to_bytes(response[field])))
    return {**credential, "response": response}
