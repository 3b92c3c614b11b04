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


class ReadOnlyAdminMixin:
    """An admin page that shows rows but lets nobody add, change or delete one here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
