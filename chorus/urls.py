from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from accounts.views import auth
from chorus import dashboard, metrics, views

admin.site.site_header = "Chorus Pro administration"
admin.site.site_title = "Chorus Pro administration"
# The admin logs in through the portal's own page, with its second step.
admin.site.login = auth.admin_login
_admin_index = admin.site.index


def admin_index(request, extra_context=None):
    """The admin's index, with today's figures above the applications."""
    return _admin_index(
        request, extra_context={**(extra_context or {}), "figures": dashboard.today_figures()}
    )


admin.site.index = admin_index

handler500 = "chorus.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("help/", include("helpdesk.urls")),
    path("", include("onboarding.urls")),
    path("", include("accounts.urls")),
    path("", include("structures.urls")),
    path("", include("workareas.urls")),
    path("", include("outbox.urls")),
]

if settings.DEBUG:
    # Static files served from the app folders while developing.
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
