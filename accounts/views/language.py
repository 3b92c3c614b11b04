"""The language cookie, set as Django's own language switch does."""

from django.conf import settings


def remember_language(response, language: str):
    """The portal speaks the language the person chose in their account."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    return response
