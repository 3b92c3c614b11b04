"""Log lines: one JSON object per line (LOG_FORMAT=json, the default), or readable lines for a
person at a terminal (LOG_FORMAT=console, what `make run` uses).

Every line, ours and the libraries', goes through structlog's ProcessorFormatter and carries
the request id bound by django-structlog (in a request, and in the Celery tasks it queued).
Personal data is kept out: e-mail addresses are masked (`c***@example.org`) and the secrets of
mailed links, which travel in URL paths, are replaced by `[secret]`.
"""

import re

import structlog

EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# A path segment as long as a link's secret (token_urlsafe(32): 43 characters).
PATH_SECRET = re.compile(r"/[A-Za-z0-9_-]{32,}(?=/|\b|$)")


def mask(text: str) -> str:
    """`text` without e-mail addresses (first letter and domain kept) or link secrets."""
    return PATH_SECRET.sub("/[secret]", EMAIL.sub(r"\1***@\2", text))


QUERY_STRING = re.compile(r"\?\S*")


def mask_personal_data(_logger, _method, event_dict: dict) -> dict:
    """structlog processor: mask() every text value of the line; the request's query string
    is left out (a search by name is often a person's name)."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            if key == "request":
                value = QUERY_STRING.sub("", value)
            event_dict[key] = mask(value)
    return event_dict


# What every line gets, whether it comes from structlog or from the standard library.
SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(*, log_format: str, level: str) -> dict:
    """The LOGGING setting, with structlog configured to feed it."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.dev.ConsoleRenderer(colors=False)
        if log_format == "console"
        else structlog.processors.JSONRenderer()
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    mask_personal_data,
                    renderer,
                ],
                "foreign_pre_chain": SHARED_PROCESSORS,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "axes": {"level": "WARNING"},
            # Django's own console handler (DEBUG) would print its lines a second time.
            "django": {"handlers": [], "level": level, "propagate": True},
        },
    }
