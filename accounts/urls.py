from django.urls import path

from accounts import mailbox
from accounts.views import home

app_name = "accounts"

urlpatterns = [
    path("", home.home, name="home"),
    path("mailbox/", mailbox.mailbox, name="mailbox"),
    path("dashboard/", home.home, name="dashboard"),
    path("account/", home.home, name="account"),
    path("logout/", home.home, name="logout"),
    path("login/", home.home, name="login"),
]
