from django.urls import path

from workareas import views

app_name = "workareas"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/areas/<slug:code>/", views.area, name="area"),
    path("account/work-areas/", views.my_areas, name="work_areas"),
]
