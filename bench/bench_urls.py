"""The portal's URLs plus the floor: a minimal view through the same middleware, mounted only
in the benchmark's stack. A page's req/s is read as a share of the floor's."""

from django.http import HttpResponse
from django.urls import include, path


def floor(request):
    return HttpResponse("<!DOCTYPE html><title>floor</title><p>floor</p>")


urlpatterns = [
    path("bench/floor/", floor),
    path("", include("chorus.urls")),
]
