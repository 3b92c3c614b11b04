"""Each configuration variable is read from the environment, with its documented default."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = [
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "TRUSTED_PROXY_COUNT",
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "SIRENE_BACKEND",
    "SIRENE_STUB_FILE",
    "SIRENE_API_URL",
    "SIRENE_API_KEY",
    "SIRENE_TIMEOUT",
    "SIRENE_RATE_LIMIT",
    "ACTIVATION_LINK_TTL",
]

PROBE = """
import json
from chorus import settings as s
print(json.dumps({
    "SECRET_KEY": s.SECRET_KEY, "DEBUG": s.DEBUG, "ALLOWED_HOSTS": s.ALLOWED_HOSTS,
    "CSRF_TRUSTED_ORIGINS": s.CSRF_TRUSTED_ORIGINS, "SITE_URL": s.SITE_URL,
    "TRUSTED_PROXY_COUNT": s.TRUSTED_PROXY_COUNT, "DB_ENGINE": s.DATABASES["default"]["ENGINE"],
    "DB_NAME": str(s.DATABASES["default"]["NAME"]), "DB_HOST": s.DATABASES["default"].get("HOST"),
    "CACHE": s.CACHES["default"]["BACKEND"], "CACHE_LOCATION": s.CACHES["default"].get("LOCATION"),
    "SESSION_ENGINE": s.SESSION_ENGINE, "CELERY_BROKER_URL": s.CELERY_BROKER_URL,
    "BROKER_OPTIONS": s.CELERY_BROKER_TRANSPORT_OPTIONS, "EMAIL_BACKEND": s.EMAIL_BACKEND,
    "EMAIL_HOST": getattr(s, "EMAIL_HOST", None), "EMAIL_PORT": getattr(s, "EMAIL_PORT", None),
    "EMAIL_FILE_PATH": s.EMAIL_FILE_PATH, "DEFAULT_FROM_EMAIL": s.DEFAULT_FROM_EMAIL,
    "SIRENE_BACKEND": s.SIRENE_BACKEND, "SIRENE_STUB_FILE": s.SIRENE_STUB_FILE,
    "SIRENE_API_URL": s.SIRENE_API_URL, "SIRENE_API_KEY": s.SIRENE_API_KEY,
    "SIRENE_TIMEOUT": s.SIRENE_TIMEOUT, "SIRENE_RATE_LIMIT": s.SIRENE_RATE_LIMIT,
    "ACTIVATION_LINK_TTL": s.ACTIVATION_LINK_TTL, "HSTS": s.SECURE_HSTS_SECONDS,
    "SESSION_COOKIE_SECURE": s.SESSION_COOKIE_SECURE,
    "COOKIE_NAMES": [s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.LANGUAGE_COOKIE_NAME],
}))
"""


def load_settings(**env) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        return {"error": result.stderr}
    return json.loads(result.stdout)


def test_defaults():
    """With nothing set (but DEBUG, needed for the dev key), every variable has its default."""
    s = load_settings(DEBUG="true")
    assert s["DEBUG"] is True
    assert s["SECRET_KEY"].startswith("dev-only")
    assert s["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1"]
    assert s["SITE_URL"] == "http://127.0.0.1:8000"
    assert s["CSRF_TRUSTED_ORIGINS"] == ["http://127.0.0.1:8000"]
    assert s["TRUSTED_PROXY_COUNT"] == 0
    assert s["DB_ENGINE"] == "django.db.backends.sqlite3"
    assert s["DB_NAME"].endswith("var/db.sqlite3")
    assert s["CACHE"].endswith("LocMemCache")
    assert s["CELERY_BROKER_URL"] == "filesystem://"
    assert s["BROKER_OPTIONS"]["data_folder_in"].endswith("var/broker")
    assert s["EMAIL_BACKEND"] == "outbox.mailbox.LocalMailboxBackend"
    assert s["EMAIL_FILE_PATH"].endswith("var/mail")
    assert s["DEFAULT_FROM_EMAIL"] == "Chorus Pro <no-reply@localhost>"
    assert s["SIRENE_BACKEND"] == "stub"
    assert s["SIRENE_STUB_FILE"].endswith("structures/sirene/sample_establishments.json")
    assert s["SIRENE_API_URL"] == "https://api.insee.fr/api-sirene/3.11"
    assert s["SIRENE_API_KEY"] == ""
    assert s["SIRENE_TIMEOUT"] == 5
    assert s["SIRENE_RATE_LIMIT"] == 30
    assert s["ACTIVATION_LINK_TTL"] == 3600


def test_debug_defaults_to_false_and_refuses_the_dev_key():
    """Without DEBUG the portal is in production mode and the development key is refused."""
    s = load_settings()
    assert "SECRET_KEY must be set" in s["error"]
    s = load_settings(
        SECRET_KEY="a-real-secret-key-of-sufficient-length-0123456789abcdef",
        EMAIL_URL="smtp://mail.internal:25",
    )
    assert s["DEBUG"] is False


def test_production_refuses_to_start_without_a_mail_server():
    """With DEBUG off and no EMAIL_URL the settings refuse to load: mails carrying live links
    must never pile up silently in files on the web server."""
    s = load_settings(SECRET_KEY="a-real-secret-key-of-sufficient-length-0123456789abcdef")
    assert "EMAIL_URL must be set" in s["error"]
    assert load_settings(DEBUG="true")["EMAIL_BACKEND"] == "outbox.mailbox.LocalMailboxBackend"


def test_cookies_over_https_use_the_host_prefix():
    """Over https the session, CSRF and language cookies are __Host- cookies; over http (where
    browsers refuse the prefix) they keep Django's names."""
    https = load_settings(DEBUG="true", SITE_URL="https://portal.example.fr")
    assert https["COOKIE_NAMES"] == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "__Host-django_language",
    ]
    http = load_settings(DEBUG="true")
    assert http["COOKIE_NAMES"] == ["sessionid", "csrftoken", "django_language"]


def test_docker_compose_ships_no_usable_secret_key():
    """docker-compose.yml requires SECRET_KEY from the environment (no default to fall back
    on), with a message saying how to make one."""
    compose = (ROOT / "docker-compose.yml").read_text()
    line = next(ln for ln in compose.splitlines() if ln.strip().startswith("SECRET_KEY:"))
    assert "${SECRET_KEY:?" in line
    assert "secrets.token_urlsafe" in line


def test_every_variable_is_read():
    """Each variable set in the environment is what the settings use."""
    s = load_settings(
        SECRET_KEY="k" * 60,
        DEBUG="false",
        ALLOWED_HOSTS="portal.example.fr,www.portal.example.fr",
        SITE_URL="https://portal.example.fr",
        TRUSTED_PROXY_COUNT="2",
        DATABASE_URL="postgres://user:pw@db.internal:5432/chorus_prod",
        REDIS_URL="redis://cache.internal:6379/3",
        EMAIL_URL="smtp://mail.internal:2525",
        DEFAULT_FROM_EMAIL="Portal <portal@example.fr>",
        SIRENE_BACKEND="insee",
        SIRENE_STUB_FILE="/tmp/stub.json",
        SIRENE_API_URL="http://127.0.0.1:9999/api/",
        SIRENE_API_KEY="key-123",
        SIRENE_TIMEOUT="2.5",
        SIRENE_RATE_LIMIT="12",
        ACTIVATION_LINK_TTL="600",
    )
    assert s["ALLOWED_HOSTS"] == ["portal.example.fr", "www.portal.example.fr"]
    assert s["SITE_URL"] == "https://portal.example.fr"
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://portal.example.fr"]
    assert s["TRUSTED_PROXY_COUNT"] == 2
    assert s["DB_ENGINE"] == "django.db.backends.postgresql"
    assert (s["DB_NAME"], s["DB_HOST"]) == ("chorus_prod", "db.internal")
    assert s["CACHE"].endswith("RedisCache")
    assert s["CACHE_LOCATION"] == "redis://cache.internal:6379/3"
    assert s["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"
    assert s["CELERY_BROKER_URL"] == "redis://cache.internal:6379/3"
    assert s["EMAIL_BACKEND"].endswith("smtp.EmailBackend")
    assert (s["EMAIL_HOST"], s["EMAIL_PORT"]) == ("mail.internal", 2525)
    assert s["DEFAULT_FROM_EMAIL"] == "Portal <portal@example.fr>"
    assert s["SIRENE_BACKEND"] == "insee"
    assert s["SIRENE_STUB_FILE"] == "/tmp/stub.json"
    assert s["SIRENE_API_URL"] == "http://127.0.0.1:9999/api"
    assert s["SIRENE_API_KEY"] == "key-123"
    assert s["SIRENE_TIMEOUT"] == 2.5
    assert s["SIRENE_RATE_LIMIT"] == 12
    assert s["ACTIVATION_LINK_TTL"] == 600
    assert s["HSTS"] > 0 and s["SESSION_COOKIE_SECURE"] is True


def test_explicit_broker_and_csrf_origins_win():
    """CELERY_BROKER_URL and CSRF_TRUSTED_ORIGINS override what they derive from."""
    s = load_settings(
        DEBUG="true",
        REDIS_URL="redis://127.0.0.1:6379/1",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/5",
        CSRF_TRUSTED_ORIGINS="https://a.example.fr,https://b.example.fr",
    )
    assert s["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/5"
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://a.example.fr", "https://b.example.fr"]


@pytest.mark.parametrize(
    "email_url,backend",
    [
        ("consolemail://", "django.core.mail.backends.console.EmailBackend"),
        ("filemail:///tmp/chorus-mail", "django.core.mail.backends.filebased.EmailBackend"),
    ],
)
def test_email_url_schemes(email_url, backend):
    """EMAIL_URL picks the console and file transports too."""
    assert load_settings(DEBUG="true", EMAIL_URL=email_url)["EMAIL_BACKEND"] == backend


def test_check_deploy_is_clean_under_production_settings():
    """`manage.py check --deploy` passes with DEBUG off and an https SITE_URL."""
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests for their own process only.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in VARIABLES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        SECRET_KEY="Zq8!vR2#mK5$wT9&yL3*pN7@hB4^cF6%dJ1-aG0+eS8~uX2=oI9?kD7",
        SITE_URL="https://portal.example.fr",
        ALLOWED_HOSTS="portal.example.fr",
        EMAIL_URL="smtp://mail.internal:25",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


RETENTION = {
    "RETENTION_SENT_MAILS_DAYS": 30,
    "RETENTION_AUDIT_DAYS": 365,
    "RETENTION_HELP_QUESTIONS_DAYS": 365,
    "RETENTION_FAILED_LOGINS_DAYS": 30,
}


def _retention_settings(**env) -> dict:
    probe = (
        "import json; from chorus import settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {list(RETENTION)!r}}}))"
    )
    clean = {k: v for k, v in os.environ.items() if k not in RETENTION}
    clean.update(DEBUG="true", **env)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_retention_delays_default_and_are_read():
    """The retention delays have their documented defaults and are read from the
    environment."""
    assert _retention_settings() == RETENTION
    assert _retention_settings(**{name: "12" for name in RETENTION}) == dict.fromkeys(RETENTION, 12)
