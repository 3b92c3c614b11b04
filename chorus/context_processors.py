from django.conf import settings


def portal(request):
    return {
        "DEBUG": settings.DEBUG,
        "ACTIVATION_LINK_MINUTES": settings.ACTIVATION_LINK_TTL // 60,
        "RESET_LINK_MINUTES": settings.PASSWORD_RESET_LINK_TTL // 60,
    }
