from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Helpers every app may use: client IP, throttles, form fields, form rendering."""

    name = "common"
