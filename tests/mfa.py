"""Logging in through both steps in tests: the password, then the code mailed to the login
e-mail (or given by the authenticator app)."""

import re

import pyotp
from django.core import mail

from outbox.models import OutgoingEmail
from tests.mail import deliver

CODE = re.compile(r"\b(\d{6})\b")


def last_code(email: str) -> str:
    """The code of the newest second-step mail to `email` (pending mails are sent first:
    the code is minted when its mail leaves)."""
    deliver(to=email, kind="mfa_code")
    sent = OutgoingEmail.objects.filter(to=email, kind="mfa_code", status="sent")
    ids = set(sent.values_list("message_id", flat=True))
    for message in reversed(mail.outbox):
        if message.extra_headers.get("Message-ID") in ids:
            return CODE.search(message.body).group(1)
    raise AssertionError(f"no verification code was mailed to {email}")


def totp_now(device) -> str:
    """The current code of a django-otp TOTPDevice, as the person's app shows it."""
    import base64

    return pyotp.TOTP(base64.b32encode(device.bin_key).decode()).now()


def log_in(client, email: str, password: str, *, next_url: str = "", **extra):
    """Both steps with an e-mail code; returns the response of the second step."""
    data = {"login-email": email, "login-password": password}
    if next_url:
        data["next"] = next_url
    first = client.post("/login/", data, **extra)
    assert first.status_code == 302 and first["Location"] == "/login/verify/", first
    client.get("/login/verify/", **extra)
    return client.post("/login/verify/", {"code": last_code(email)}, **extra)
