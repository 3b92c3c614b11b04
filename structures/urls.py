from django.urls import path

from structures import views

app_name = "structures"

urlpatterns = [
    path("structure/requests/", views.requests, name="requests"),
    path("structure/requests/<int:pk>/decide/", views.decide, name="decide"),
    path("structure/requests/<int:pk>/again/", views.request_again, name="request_again"),
    path("structures/<int:pk>/", views.detail, name="detail"),
]
