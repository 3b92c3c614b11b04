from django.urls import path

from accounts import mailbox
from accounts.views import account, activation, auth, dashboard, recovery, registration

app_name = "accounts"

urlpatterns = [
    path("", registration.home, name="home"),
    path("register/", registration.register_start, name="register_start"),
    path("register/details/", registration.register_details, name="register_details"),
    path("register/areas/", registration.register_areas, name="register_areas"),
    path("register/sent/", registration.register_sent, name="register_sent"),
    path("register/resend/", registration.register_resend, name="register_resend"),
    path("activate/", activation.activate, name="activate"),
    path("activate/done/", activation.activate_done, name="activate_done"),
    path("activate/resend/", activation.activate_resend, name="activate_resend"),
    path("activate/<str:token>/", activation.activate_link, name="activate_link"),
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("password/forgot/", recovery.forgot, name="password_forgot"),
    path("password/reset/", recovery.reset, name="password_reset"),
    path("password/reset/<str:token>/", recovery.reset_link, name="password_reset_link"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/areas/<slug:code>/", dashboard.area, name="area"),
    path("account/", account.account, name="account"),
    path("account/password/", account.change_password, name="change_password"),
    path("account/secret-question/", account.change_secret_question, name="change_secret"),
    path("account/work-areas/", account.work_areas, name="work_areas"),
    path(
        "account/contact-email/<str:token>/",
        account.confirm_contact_link,
        name="confirm_contact_link",
    ),
    path("account/contact-email/", account.confirm_contact, name="confirm_contact"),
    path("mailbox/", mailbox.mailbox, name="mailbox"),
]
