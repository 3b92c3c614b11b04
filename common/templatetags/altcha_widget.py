"""The proof-of-work widget (templates/common/_altcha.html), with a fresh challenge each render."""

import json

from django import template

from common import altcha, pages

register = template.Library()


@register.inclusion_tag("common/_altcha.html", takes_context=True)
def altcha_widget(context, form: str, *, start: str = "focus", required: bool = False):
    """The hidden `altcha` field and its status line, inside the <form> of `form`.

    `start`: "focus" solves from the first focus in the form (or at the submit), "load" at
    once (the log-in to an account that needs it). `required`: the form cannot be sent without
    it (no fallback), so say what to do without JavaScript."""
    request = context.get("request")
    if request is not None and pages.preparing(request):
        challenge = pages.altcha_hole(form)  # a page kept for every visitor: one each
    else:
        challenge = json.dumps(altcha.challenge(form), separators=(",", ":"))
    return {
        "challenge": challenge,
        "field": altcha.FIELD,
        "start": start,
        "required": required,
    }
