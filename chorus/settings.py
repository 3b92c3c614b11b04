"""Settings of the Chorus Pro onboarding portal, read from the environment (django-environ).

Every variable is listed once, with its default, in the README's configuration table.
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from common.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is false (the development key is refused)."
    )

SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
SITE_IS_HTTPS = urlsplit(SITE_URL).scheme == "https"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
_site = urlsplit(SITE_URL)
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"{_site.scheme}://{_site.netloc}"]
)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_countries",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_structlog",
    "django_prometheus",
    # The journey on top, then the domain, then the plumbing every app uses.
    "onboarding",
    "helpdesk",
    "workareas",
    "structures",
    "accounts",
    "outbox",
    "audit",
    "common",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_structlog.middlewares.RequestMiddleware",
    "accounts.views.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "audit.context.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
    "common.outage.OutageMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# Prometheus: /metrics answers only `Authorization: Bearer <METRICS_TOKEN>` (404 when empty).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# Server-Timing and X-SQL-Queries headers, for the benchmark.
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)
if SERVER_TIMING:
    MIDDLEWARE.insert(0, "common.timing.ServerTimingMiddleware")

ROOT_URLCONF = "chorus.urls"
WSGI_APPLICATION = "chorus.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chorus.context_processors.portal",
                "common.pages.holes",  # after Django's csrf processor: it overrides csrf_token
            ],
        },
    },
]
FORM_RENDERER = "common.forms_rendering.PortalFormRenderer"
# Public pages kept rendered per language and served to visitors without a session, their
# tokens filled in per response (common/pages.py); 0 renders every request in full.
PREPARED_PAGES_SECONDS = env.int("PREPARED_PAGES_SECONDS", default=60)

# Database: PostgreSQL in production, a SQLite file under var/ by default.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache, sessions and throttling: Redis when REDIS_URL is set, else a local-memory cache.
# Two caches on the same Redis (common/cache.py): `default` degrades to "nothing cached" when
# Redis is down, `counters` (throttles, the INSEE rate limiter) says so and lets each caller
# apply its policy. Sessions live in the database only: a cached copy that an outage kept from
# being deleted would bring a logged-out session back once Redis returns.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    _redis_cache = {
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "chorus",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
    CACHES = {
        "default": {"BACKEND": "common.cache.DegradingRedisCache", **_redis_cache},
        "counters": {"BACKEND": "common.cache.CounterRedisCache", **_redis_cache},
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "counters": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
SESSION_ENGINE = "django.contrib.sessions.backends.db"
RATELIMIT_USE_CACHE = "counters"

# Celery: Redis when set, else kombu's filesystem transport under var/ (no service needed).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "broker-processed"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = "Europe/Paris"

# E-mail: EMAIL_URL picks a real transport; by default mails are files under var/mail/.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url_config(EMAIL_URL))
elif not DEBUG:
    # In production, mails carry live links: they must reach a mail server, never pile up
    # silently in files on the web server.
    raise ImproperlyConfigured(
        "EMAIL_URL must be set when DEBUG is false, for example smtp://mail.example.fr:25 or "
        "smtp+tls://user:password@mail.example.fr:587 (see the README's configuration table)."
    )
else:
    EMAIL_BACKEND = "outbox.mailbox.LocalMailboxBackend"
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Chorus Pro <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Retry window for outgoing mails: SMTP errors are retried with backoff at least this long.
MAIL_RETRY_WINDOW = env.int("MAIL_RETRY_WINDOW", default=2 * 3600)
MAIL_RETRY_BASE_DELAY = env.float("MAIL_RETRY_BASE_DELAY", default=30.0)
# Seconds a worker may take to hand a mail to the SMTP server; past it the worker is presumed
# dead and the mail is sent again (at least once). Well above EMAIL_TIMEOUT.
MAIL_SENDING_LEASE = env.int("MAIL_SENDING_LEASE", default=120)

# INSEE Sirene register.
SIRENE_BACKEND = env.str("SIRENE_BACKEND", default="stub")
SIRENE_STUB_FILE = env.str(
    "SIRENE_STUB_FILE",
    default=str(BASE_DIR / "structures" / "sirene" / "sample_establishments.json"),
)
SIRENE_API_URL = env.str("SIRENE_API_URL", default="https://api.insee.fr/api-sirene/3.11").rstrip(
    "/"
)
SIRENE_API_KEY = env.str("SIRENE_API_KEY", default="")
SIRENE_TIMEOUT = env.float("SIRENE_TIMEOUT", default=5.0)
SIRENE_RATE_LIMIT = env.int("SIRENE_RATE_LIMIT", default=30)
# The daily update of the Sirene mirror asks at most this many pages a minute of INSEE.
SIRENE_UPDATE_REQUESTS_PER_MINUTE = env.int("SIRENE_UPDATE_REQUESTS_PER_MINUTE", default=10)

# VIES, the EU's VAT number check.
VIES_BACKEND = env.str("VIES_BACKEND", default="stub")
VIES_STUB_FILE = env.str(
    "VIES_STUB_FILE",
    default=str(BASE_DIR / "structures" / "vies" / "sample_vat_numbers.json"),
)
VIES_API_URL = env.str(
    "VIES_API_URL", default="https://ec.europa.eu/taxation_customs/vies/rest-api"
).rstrip("/")
VIES_TIMEOUT = env.float("VIES_TIMEOUT", default=5.0)
VIES_RATE_LIMIT = env.int("VIES_RATE_LIMIT", default=30)


def _rates(name: str, default: str) -> list[str]:
    """A comma-separated list of django-ratelimit rates, such as "3/m,20/h"."""
    rates = [rate.strip() for rate in env.str(name, default=default).split(",") if rate.strip()]
    for rate in rates:
        if not re.fullmatch(r"[0-9]+/[0-9]*[smhd]", rate):
            raise ImproperlyConfigured(f"{name}: {rate!r} is not a rate such as 3/m, 20/h, 5/15m.")
    return rates


# Step 1's INSEE look-ups per IP: a small share of the INSEE budget. A form sent without a
# solved proof-of-work challenge (no JavaScript) also counts against the stricter rates.
STEP1_LOOKUPS_PER_IP = _rates("STEP1_LOOKUPS_PER_IP", "3/m,20/h")
STEP1_LOOKUPS_PER_IP_WITHOUT_CHALLENGE = _rates("STEP1_LOOKUPS_PER_IP_WITHOUT_CHALLENGE", "1/m,5/h")
# "Find my company" at step 1: searches per IP (a person typing sends one every few letters).
COMPANY_SEARCH_PER_IP = _rates("COMPANY_SEARCH_PER_IP", "60/m,600/h")
HELP_QUESTIONS_PER_IP_WITHOUT_CHALLENGE = _rates(
    "HELP_QUESTIONS_PER_IP_WITHOUT_CHALLENGE", "2/h,5/d"
)
# ALTCHA proof-of-work challenges (common/altcha.py): the HMAC key signing them (derived from
# SECRET_KEY when empty) and the largest number to find (at 50,000, a browser finds it in a
# fraction of a second; a robot pays that for every form it posts).
ALTCHA_HMAC_KEY = env.str("ALTCHA_HMAC_KEY", default="")
ALTCHA_MAX_NUMBER = env.int("ALTCHA_MAX_NUMBER", default=50_000)

ACTIVATION_LINK_TTL = env.int("ACTIVATION_LINK_TTL", default=3600)
PASSWORD_RESET_LINK_TTL = 3600
CONTACT_EMAIL_LINK_TTL = 24 * 3600
# An activation never used is purged this long after its last link expired.
REGISTRATION_PURGE_AFTER = 7 * 24 * 3600
# Seconds a join request of a structure with no active manager waits before the support's queue.
JOIN_REQUEST_SUPPORT_AFTER = 7 * 24 * 3600
# Keeping no more than needed (CNIL): days each kind of data is kept, then purged every night.
RETENTION_SENT_MAILS_DAYS = env.int("RETENTION_SENT_MAILS_DAYS", default=30)
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=365)
RETENTION_HELP_QUESTIONS_DAYS = env.int("RETENTION_HELP_QUESTIONS_DAYS", default=365)
RETENTION_FAILED_LOGINS_DAYS = env.int("RETENTION_FAILED_LOGINS_DAYS", default=30)

# Users and passwords.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "accounts.hashers.TimedArgon2PasswordHasher",  # Argon2id with the parameters below
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Argon2id's cost (OWASP's password storage figures: 19 MiB, 2 passes, 1 lane; README,
# "Passwords"); `manage.py password_hash_cost` measures it here. Hashes made with other values
# are upgraded at the next log-in.
ARGON2_MEMORY_KIB = env.int("ARGON2_MEMORY_KIB", default=19_456)
ARGON2_TIME_COST = env.int("ARGON2_TIME_COST", default=2)
ARGON2_PARALLELISM = env.int("ARGON2_PARALLELISM", default=1)
# Hashes at once in one web process: the other threads keep serving pages meanwhile.
ARGON2_CONCURRENT_HASHES = env.int("ARGON2_CONCURRENT_HASHES", default=1)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {
        "NAME": "accounts.passwords.MaximumLengthValidator",
        "OPTIONS": {"max_length": 128},
    },
    {
        "NAME": "accounts.passwords.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("email", "first_name", "last_name", "contact_email")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "workareas:dashboard"

# Login throttling (django-axes): failures per account+IP and per IP, then a cool-off.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures from one IP across all accounts (a robot trying many accounts), counted apart.
LOGIN_IP_FAILURE_RATE = env.str("LOGIN_IP_FAILURE_RATE", default="50/h")
# Failures for one account within an hour, whatever the IP, after which logging in to it needs
# a solved proof-of-work challenge: spraying slows down, and nobody can lock the owner out.
LOGIN_CHALLENGE_AFTER = env.int("LOGIN_CHALLENGE_AFTER", default=3)
# Two-step verification (accounts.services.mfa).
MFA_PENDING_TTL = env.int("MFA_PENDING_TTL", default=600)  # password accepted, factor awaited
MFA_EMAIL_CODE_TTL = env.int("MFA_EMAIL_CODE_TTL", default=600)
MFA_EMAIL_CODES_PER_DAY = env.int("MFA_EMAIL_CODES_PER_DAY", default=10)  # and 1 a minute
MFA_FAILURES_PER_15_MINUTES = env.int("MFA_FAILURES_PER_15_MINUTES", default=5)
MFA_FAILURES_PER_DAY = env.int("MFA_FAILURES_PER_DAY", default=100)
MFA_REMEMBER_DAYS = env.int("MFA_REMEMBER_DAYS", default=30)
MFA_FRESH_SECONDS = env.int("MFA_FRESH_SECONDS", default=600)  # changes to the factors
OTP_TOTP_ISSUER = "Chorus Pro"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Security keys sign for the host name of the page they are used on; set this only to share
# keys across sub-domains (a parent domain of every host served).
WEBAUTHN_RP_ID = env.str("WEBAUTHN_RP_ID", default="")
WEBAUTHN_RP_NAME = "Chorus Pro"
# Wrong answers to the secret question per account in 24 hours, whatever the link.
SECRET_ANSWER_FAILURES_PER_DAY = env.int("SECRET_ANSWER_FAILURES_PER_DAY", default=10)
# Wrong current passwords (password change, secret question change, role transfer) per account.
CURRENT_PASSWORD_FAILURE_RATE = env.str("CURRENT_PASSWORD_FAILURE_RATE", default="5/15m")
AXES_CLIENT_IP_CALLABLE = "common.http.client_ip"
AXES_USERNAME_FORM_FIELD = "email"
AXES_LOCKOUT_CALLABLE = "accounts.views.auth.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Failed log-ins keep the form's data with these fields masked: our log-in form's prefix makes
# its password field "login-password", which axes does not know by itself.
AXES_PASSWORD_FORM_FIELD = "login-password"
# Successful log-ins are in the audit log already: axes keeps only failures (data minimisation).
AXES_DISABLE_ACCESS_LOG = True
AXES_SENSITIVE_PARAMETERS = [
    "password",
    "login-password",
    "current_password",
    "confirmation",
    "answer",
    "code",
    "altcha",
    "login-altcha",
    "csrfmiddlewaretoken",
]
RATELIMIT_VIEW = "chorus.views.rate_limited"

# Internationalisation: English by default, French.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# Static files, served by WhiteNoise.
# No uploads; set so that nothing else is ever served from the project folder.
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security.
SESSION_COOKIE_SECURE = SITE_IS_HTTPS
CSRF_COOKIE_SECURE = SITE_IS_HTTPS
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SITE_IS_HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Over https, the __Host- prefix makes browsers refuse these cookies unless they are Secure, set
# by this very host and for the whole site: no sibling subdomain can plant or override them.
_COOKIE_PREFIX = "__Host-" if SITE_IS_HTTPS else ""
SESSION_COOKIE_NAME = f"{_COOKIE_PREFIX}sessionid"
CSRF_COOKIE_NAME = f"{_COOKIE_PREFIX}csrftoken"
LANGUAGE_COOKIE_NAME = f"{_COOKIE_PREFIX}django_language"
MFA_REMEMBER_COOKIE_NAME = f"{_COOKIE_PREFIX}chorus_mfa_browser"
SESSION_COOKIE_AGE = 8 * 3600
CSRF_FAILURE_VIEW = "chorus.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SITE_IS_HTTPS and not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = 31536000 if SITE_IS_HTTPS and not DEBUG else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if TRUSTED_PROXY_COUNT:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Django admin widgets toggle visibility through style attributes.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Logs: JSON lines with the request id (common/logs.py), or readable lines (LOG_FORMAT=console).
LOG_FORMAT = env.str("LOG_FORMAT", default="json")
LOGGING = logging_config(log_format=LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# django-structlog: a request id per request, handed to the Celery tasks it queues; no IP in
# the logs (the audit log keeps what security needs).
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_IP_LOGGING_ENABLED = False
# Celery's worker keeps our log format instead of installing its own.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports: Sentry, only when SENTRY_DSN is set, personal data scrubbed (chorus/sentry.py).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from chorus.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=env.str("SENTRY_ENVIRONMENT", default="production"))
