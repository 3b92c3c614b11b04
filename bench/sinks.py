"""What the portal talks to during the benchmark, inside bench/run.py's process: an SMTP sink that
records when each mail arrived, a mailbox HTTP endpoint where virtual users pick up their
activation link and their log-in's verification code, and the fake INSEE API with its quota.
"""

import json
import re
import sys
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from sirets import InseeBodies

ROOT = Path(__file__).resolve().parent.parent
ACTIVATION_PATH = re.compile(r"https?://[^\s\"<]+?(/activate/[A-Za-z0-9_\-]+/)")
# The second step's code mail (templates/accounts/email/mfa_code*), in the account's language.
CODE_SUBJECTS = ("Your Chorus Pro verification code", "Votre code de vérification Chorus Pro")
VERIFICATION_CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class ReceivedMail:
    to: str
    message_id: str
    subject: str
    arrived_at: float  # time.time() when the SMTP DATA command was accepted
    activation_path: str | None
    code: str | None = None  # the 6-digit code of a second-step code mail


class _SinkHandler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        arrived_at = time.time()
        message = message_from_bytes(envelope.content, policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        match = ACTIVATION_PATH.search(text)
        subject = str(message.get("Subject", ""))
        code = VERIFICATION_CODE.search(text) if subject in CODE_SUBJECTS else None
        for recipient in envelope.rcpt_tos:
            self.sink.add(
                ReceivedMail(
                    to=recipient.lower(),
                    message_id=str(message.get("Message-ID", "")).strip(),
                    subject=subject,
                    arrived_at=arrived_at,
                    activation_path=match.group(1) if match else None,
                    code=code.group(1) if code else None,
                )
            )
        return "250 2.0.0 OK"


class SmtpSink:
    """An SMTP server on loopback that accepts everything and remembers when it arrived."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mails: list[ReceivedMail] = []
        self._by_recipient: dict[str, ReceivedMail] = {}
        self._codes: dict[str, list[ReceivedMail]] = {}
        self._arrived = threading.Condition()
        self._controller = Controller(_SinkHandler(self), hostname="127.0.0.1", port=port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def add(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.mails.append(mail)
            if mail.activation_path:
                self._by_recipient[mail.to] = mail
            if mail.code:
                self._codes.setdefault(mail.to, []).append(mail)
            self._arrived.notify_all()

    def wait_activation(self, address: str, timeout: float) -> ReceivedMail | None:
        """The newest activation mail to `address`, waiting for it at most `timeout` seconds."""
        address = address.lower()
        with self._arrived:
            self._arrived.wait_for(lambda: address in self._by_recipient, timeout=timeout)
            return self._by_recipient.get(address)

    def wait_code(self, address: str, timeout: float, since: int = 0) -> ReceivedMail | None:
        """The code mail to `address` after the first `since` ones, waiting for it at most
        `timeout` seconds."""
        address = address.lower()
        with self._arrived:
            self._arrived.wait_for(
                lambda: len(self._codes.get(address, ())) > since, timeout=timeout
            )
            codes = self._codes.get(address, [])
            return codes[since] if len(codes) > since else None

    def by_message_id(self) -> dict[str, ReceivedMail]:
        with self._arrived:
            return {mail.message_id: mail for mail in self.mails}


class _MailboxHandler(BaseHTTPRequestHandler):
    server: "_MailboxServer"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        address = query.get("to", [""])[0]
        wait = min(float(query.get("wait", ["0"])[0] or 0), 120.0)
        if url.path == "/code":
            since = int(query.get("since", ["0"])[0] or 0)
            mail = self.server.sink.wait_code(address, wait, since)
            if mail is None:
                status, payload = 404, {"error": "no code mail"}
            else:
                status, payload = 200, {"code": mail.code, "arrived_at": mail.arrived_at}
        else:
            mail = self.server.sink.wait_activation(address, wait)
            if mail is None:
                status, payload = 404, {"error": "no activation mail"}
            else:
                status, payload = 200, {"path": mail.activation_path, "arrived_at": mail.arrived_at}
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _MailboxServer(ThreadingHTTPServer):
    daemon_threads = True
    sink: SmtpSink


class Mailbox:
    """`GET /?to=<address>&wait=<seconds>`: the activation path of the newest mail to that
    address; `GET /code?to=<address>&wait=<seconds>&since=<n>`: the verification code of the
    code mail after the first n to that address. Long polls, so virtual users read their mail
    as it reached the SMTP server."""

    def __init__(self, sink: SmtpSink, port: int) -> None:
        self._server = _MailboxServer(("127.0.0.1", port), _MailboxHandler)
        self._server.sink = sink
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "Mailbox":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def fake_insee(*, api_key: str, quota_per_minute: int, port: int):
    """The project's fake INSEE server (tests/fakes/insee.py), answering for every invented
    SIRET of sirets.py and refusing with 429 past `quota_per_minute` in any 60 seconds."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.fakes.insee import FakeInsee

    fake = FakeInsee(api_key=api_key, quota_per_minute=quota_per_minute, port=port)
    fake.bodies = InseeBodies()
    return fake
