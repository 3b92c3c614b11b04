"""The production-like stack on loopback: PostgreSQL and Redis made empty, gunicorn, a Celery
worker, the SMTP sink and the fake INSEE. Everything started here is stopped by `Stack.stop()`.
"""

import contextlib
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import redis
from sinks import Mailbox, SmtpSink, fake_insee

ROOT = Path(__file__).resolve().parent.parent


class StackError(RuntimeError):
    """The stack could not start: the benchmark cannot run."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class StackOptions:
    database_url: str
    cache_url: str
    broker_url: str
    workers: int
    threads: int
    worker_class: str
    celery_concurrency: int
    insee_quota: int
    sirene_rate_limit: int
    beat: bool
    wsgi_app: str = "chorus.wsgi"
    # The light pool (docker-compose.pools.yml): sync workers serving the public pages apart.
    light_workers: int = 2
    graceful_timeout: int = 5  # seconds gunicorn's workers get to finish when stopped


class Stack:
    def __init__(self, options: StackOptions, workdir: Path) -> None:
        self.options = options
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.light_port = free_port()
        self.light_url = f"http://127.0.0.1:{self.light_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self._logs: list = []
        self.smtp: SmtpSink | None = None
        self.mailbox: Mailbox | None = None
        self.insee = None
        self.extra_env: dict[str, str] = {}
        # One key for the whole run: a web server restarted with another one would not verify
        # what the worker signed with the first (the codes minted when their mail leaves).
        self.secret_key = secrets.token_urlsafe(50)

    # Life cycle.

    def start(self) -> "Stack":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._reset_database()
        self._flush_redis()
        self.smtp = SmtpSink(free_port()).start()
        self.mailbox = Mailbox(self.smtp, free_port()).start()
        self.insee = fake_insee(
            api_key="bench-key", quota_per_minute=self.options.insee_quota, port=free_port()
        ).start()
        self.env = self._portal_env()
        self._manage("migrate", "--noinput")
        self._manage("collectstatic", "--noinput", "--verbosity", "0")
        self._start_gunicorn()
        self._start_light_pool()
        self._start_celery()
        self._wait_for_http(f"{self.url}/healthz", timeout=60)
        self._wait_for_log("celery", re.compile(r"@\S+ ready\."), timeout=60)
        return self

    def restart_web(self, extra_env: dict[str, str]) -> None:
        """gunicorn again, on the same port, with `extra_env` over the portal's environment
        (the throughput scenario's configuration "before")."""
        process = self.processes.pop("gunicorn")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=self.options.graceful_timeout + 5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        self.extra_env = dict(extra_env)
        self.env = self._portal_env()
        self._start_gunicorn()
        self._wait_for_http(f"{self.url}/healthz", timeout=60)

    def stop(self) -> None:
        """Stop every process started here: SIGTERM to each process group, then SIGKILL."""
        for process in self.processes.values():
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.options.graceful_timeout + 5
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            # The group too: Celery's pool processes, gunicorn's workers.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            if process.poll() is None:
                process.wait(timeout=5)
        self.processes.clear()
        for closer in (self.insee, self.mailbox, self.smtp):
            if closer is not None:
                try:
                    closer.stop()
                except Exception as exc:  # stopping goes on whatever one part says
                    print(f"bench: stopping {type(closer).__name__}: {exc}", file=sys.stderr)
        self.insee = self.mailbox = self.smtp = None
        for log in self._logs:
            log.close()
        self._logs.clear()

    # The services.

    def _reset_database(self) -> None:
        url = self.options.database_url
        name = url.rsplit("/", 1)[1]
        maintenance = url.rsplit("/", 1)[0] + "/postgres"
        try:
            with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{name}"')
        except psycopg.Error as exc:
            raise StackError(f"PostgreSQL: cannot recreate {name} ({exc})") from exc

    def _flush_redis(self) -> None:
        for url in (self.options.cache_url, self.options.broker_url):
            try:
                redis.Redis.from_url(url, socket_connect_timeout=3).flushdb()
            except redis.RedisError as exc:
                raise StackError(f"Redis: cannot flush {url} ({exc})") from exc

    def _portal_env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("SIRENE_", "EMAIL_", "CELERY_", "DJANGO_"))
        }
        env.update(
            DJANGO_SETTINGS_MODULE="bench_settings",  # the portal's, plus the floor's URL
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "bench"), env.get("PYTHONPATH")])),
            DEBUG="false",
            SECRET_KEY=self.secret_key,
            DATABASE_URL=self.options.database_url,
            REDIS_URL=self.options.cache_url,
            CELERY_BROKER_URL=self.options.broker_url,
            EMAIL_URL=f"smtp://127.0.0.1:{self.smtp.port}",
            SIRENE_BACKEND="insee",
            SIRENE_API_URL=self.insee.url,
            SIRENE_API_KEY="bench-key",
            SIRENE_RATE_LIMIT=str(self.options.sirene_rate_limit),
            SITE_URL=self.url,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            TRUSTED_PROXY_COUNT="1",
            SERVER_TIMING="true",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def _manage(self, *args: str) -> None:
        log = self.workdir / "manage.log"
        with log.open("a") as output:
            result = subprocess.run(
                [sys.executable, "manage.py", *args],
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                timeout=300,
                check=False,
            )
        if result.returncode != 0:
            raise StackError(f"manage.py {' '.join(args)} failed: see {log}")

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("a")
        self._logs.append(log)
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
        self.processes[name] = process
        return process

    def _start_gunicorn(self) -> None:
        options = self.options
        argv = [
            sys.executable, "-m", "gunicorn", options.wsgi_app,
            "--bind", f"127.0.0.1:{self.port}",
            "--workers", str(options.workers),
            "--worker-class", options.worker_class,
            "--timeout", "60",
            "--graceful-timeout", str(options.graceful_timeout),
            "--keep-alive", "5",
            "--log-level", "warning",
        ]  # fmt: skip
        if options.worker_class == "gthread":
            argv += ["--threads", str(options.threads)]
        self._spawn("gunicorn", argv)

    def _start_light_pool(self) -> None:
        """The public pages' own pool, as the proxy of docker-compose.pools.yml routes them."""
        argv = [
            sys.executable, "-m", "gunicorn", self.options.wsgi_app,
            "--bind", f"127.0.0.1:{self.light_port}",
            "--workers", str(self.options.light_workers),
            "--worker-class", "sync",
            "--timeout", "60",
            "--log-level", "warning",
        ]  # fmt: skip
        self._spawn("gunicorn-light", argv)
        self._wait_for_http(f"{self.light_url}/healthz", timeout=60)

    def _start_celery(self) -> None:
        argv = [
            sys.executable, "-m", "celery", "-A", "chorus", "worker",
            "--loglevel", "INFO",
            "--concurrency", str(self.options.celery_concurrency),
            "--hostname", f"bench-{self.port}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if self.options.beat:
            argv += ["--beat", "--schedule", str(self.workdir / "celerybeat-schedule")]
        self._spawn("celery", argv)

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise StackError(
                    f"{name} exited with status {process.returncode}: see "
                    f"{self.workdir / (name + '.log')}"
                )

    def _wait_for_http(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise StackError(f"{url} did not answer 200 within {timeout:.0f} s")

    def _wait_for_log(self, name: str, pattern: re.Pattern, timeout: float) -> None:
        path = self.workdir / f"{name}.log"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if path.exists() and pattern.search(path.read_text(errors="replace")):
                return
            time.sleep(0.2)
        raise StackError(f"{name} not ready within {timeout:.0f} s: see {path}")

    # Reading what happened.

    def log_count(self, name: str, text: str) -> int:
        """How many times `text` appears in a process's log so far."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace").count(text) if path.exists() else 0

    def limiter_slots_taken(self) -> int:
        """How much of our INSEE limit is in use right now (structures/sirene/limiter.py's slots
        in the cache)."""
        client = redis.Redis.from_url(self.options.cache_url, socket_connect_timeout=3)
        return sum(1 for _key in client.scan_iter(match="*sirene:rate:slot:*", count=1000))

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with psycopg.connect(self.options.database_url, connect_timeout=5) as connection:
            return connection.execute(sql, params).fetchall()

    def process_tree_cpu(self, name: str) -> float:
        """CPU seconds used so far by a process and its children (psutil), 0 when unknown."""
        try:
            import psutil
        except ImportError:
            return 0.0
        process = self.processes.get(name)
        if process is None:
            return 0.0
        try:
            root = psutil.Process(process.pid)
            total = 0.0
            for member in [root, *root.children(recursive=True)]:
                try:
                    times = member.cpu_times()
                    total += times.user + times.system
                except psutil.Error:
                    pass
            return total
        except psutil.Error:
            return 0.0
