"""Real services for the tests: an SMTP server (aiosmtpd) and a Celery worker."""

import contextlib
import socket
import threading
import time
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpHandler:
    """Keeps every accepted message; can refuse the next N with a temporary error."""

    def __init__(self):
        self.messages = []
        self.refuse_next = 0
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self.refused += 1
                return "451 4.3.0 Try again later"
            self.messages.append(
                {
                    "to": list(envelope.rcpt_tos),
                    "message": message_from_bytes(envelope.content, policy=policy.default),
                }
            )
        return "250 2.0.0 OK"

    def to(self, address):
        return [m["message"] for m in self.messages if address in m["to"]]


class SmtpServer:
    def __init__(self):
        self.handler = SmtpHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    @property
    def messages(self):
        return self.handler.messages


def wait_for(predicate, timeout=15.0, interval=0.05):
    """Poll until predicate() is true; return its last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value


class RedisServer:
    """A Redis of our own on a free port, that a test may stop and start again (empty)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc = None

    def start(self):
        import subprocess

        import redis

        self.proc = subprocess.Popen(  # noqa: S603 (a fixed command line)
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        assert wait_for(lambda: _pings(client), timeout=10)
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait()
            self.proc = None


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:
        return False


def _drop_broker_connections(app):
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@contextlib.contextmanager
def celery_broker(url: str):
    """Point the Celery app at the broker `url` for the block (its cached connections are
    dropped on the way in and out, so the URL is really used). Celery reads the environment's
    CELERY_BROKER_URL before its own setting: both are changed."""
    import os

    from chorus.celery import app

    previous, previous_env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    app.conf.broker_url = os.environ["CELERY_BROKER_URL"] = url
    _drop_broker_connections(app)
    try:
        yield app
    finally:
        app.conf.broker_url = previous
        if previous_env is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = previous_env
        _drop_broker_connections(app)
