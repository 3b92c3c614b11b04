from django.urls import path

from accounts.models import OneTimeToken
from accounts.views.links import link_opener
from structures import views

app_name = "structures"

urlpatterns = [
    path("structure/requests/", views.requests, name="requests"),
    path("structure/requests/<int:pk>/decide/", views.decide, name="decide"),
    path("structure/requests/<int:pk>/again/", views.request_again, name="request_again"),
    path("structures/<int:pk>/", views.detail, name="detail"),
    path(
        "structure/domain/<str:token>/",
        link_opener(OneTimeToken.Purpose.DOMAIN_PROOF, "/structure/domain/"),
        name="domain_link",
    ),
    path("structure/domain/", views.domain_confirm, name="domain_confirm"),
]
