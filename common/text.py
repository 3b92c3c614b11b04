"""Text rules shared by every app: how an address is compared, what a header may carry."""

import re

_CONTROL_OR_BREAK = re.compile(r"[\r\n\t\x00-\x1f\x7f]+")


def normalize_email(email: str) -> str:
    """Addresses are compared and stored lower-cased and trimmed."""
    return (email or "").strip().lower()


def single_line(value: str) -> str:
    """Header values never carry line breaks or control characters (no header injection)."""
    return _CONTROL_OR_BREAK.sub(" ", value or "").strip()
