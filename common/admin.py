"""Display helpers shared by the admin pages of every app."""

import json

from django.contrib import admin
from django.utils.html import format_html


def pretty_json(value):
    """A JSON document indented in a <pre>, escaped, for read-only admin fields."""
    if value in (None, "", {}, []):
        return admin.site.empty_value_display
    text = json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
    return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)
