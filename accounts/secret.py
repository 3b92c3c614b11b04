"""The secret question: a second check in password recovery, never a way in on its own."""

import unicodedata

from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.utils.translation import gettext_lazy as _

QUESTIONS = [
    ("pet", _("What was the name of your first pet?")),
    ("birth_city", _("In which city were you born?")),
    ("first_school", _("What was the name of your first school?")),
    ("childhood_street", _("What is the name of the street where you grew up?")),
    ("first_car", _("What was the make of your first car?")),
    ("favourite_book", _("What is your favourite book?")),
]
CUSTOM = "custom"
CUSTOM_PREFIX = "custom:"
MIN_ANSWER_LENGTH = 3


def question_choices():
    return [("", _("Choose a question")), *QUESTIONS, (CUSTOM, _("Write my own question"))]


def stored_question(choice: str, custom_text: str) -> str:
    return f"{CUSTOM_PREFIX}{custom_text.strip()}" if choice == CUSTOM else choice


def question_text(stored: str) -> str:
    if stored.startswith(CUSTOM_PREFIX):
        return stored[len(CUSTOM_PREFIX) :]
    return str(dict(QUESTIONS).get(stored, ""))


def normalize_answer(answer: str) -> str:
    """Trimmed, case-folded, accents stripped, inner spaces collapsed: "  Élodie  Dupont" and
    "elodie dupont" are the same answer."""
    decomposed = unicodedata.normalize("NFKD", answer or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())


def hash_answer(answer: str) -> str:
    return make_password(normalize_answer(answer), hasher="argon2")


def answer_hash_outdated(answer_hash: str) -> bool:
    """The answer was hashed with other parameters than today's (ARGON2_*): rehash it when the
    person next gives it, as Django does for passwords at log-in."""
    hasher = identify_hasher(answer_hash)
    return hasher.algorithm != "argon2" or hasher.must_update(answer_hash)


def answer_matches(answer: str, answer_hash: str) -> bool:
    if not answer_hash:
        return False
    return check_password(normalize_answer(answer), answer_hash)
