"""Proof-of-work challenges in tests: issued as the pages issue them, solved with the altcha
library's own solver, verified by the portal as in production (never skipped)."""

import html
import json
import re

from altcha import v1

from common import altcha

WIDGET = re.compile(r'<div class="altcha" data-altcha="([^"]+)"')


def solve(challenge: dict) -> str:
    """The payload a browser sends for `challenge` (the dict the page embeds)."""
    solution = v1.solve_challenge(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxNumber"]
    )
    assert solution is not None, challenge
    payload = v1.Payload(
        challenge["algorithm"],
        challenge["challenge"],
        solution.number,
        challenge["salt"],
        challenge["signature"],
    )
    return payload.to_base64()


def solution(form: str) -> str:
    """A fresh solved challenge of `form` ("step1", "help_question", "login")."""
    return solve(altcha.challenge(form))


def challenges_in(page: str) -> list[dict]:
    """The challenges the page's widgets carry, in page order."""
    return [json.loads(html.unescape(match)) for match in WIDGET.findall(page)]
