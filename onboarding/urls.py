from django.urls import path

from onboarding.views import activation, find_company, registration

app_name = "onboarding"

urlpatterns = [
    path("", registration.home, name="home"),
    path("register/", registration.register_start, name="register_start"),
    path("register/find/", find_company.find_company, name="find_company"),
    path("register/details/", registration.register_details, name="register_details"),
    path("register/areas/", registration.register_areas, name="register_areas"),
    path("register/sent/", registration.register_sent, name="register_sent"),
    path("register/resend/", registration.register_resend, name="register_resend"),
    path("activate/", activation.activate, name="activate"),
    path("activate/done/", activation.activate_done, name="activate_done"),
    path("activate/resend/", activation.activate_resend, name="activate_resend"),
    path("activate/<str:token>/", activation.activate_link, name="activate_link"),
]
