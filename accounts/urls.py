from django.urls import path

from accounts.views import account, auth, recovery

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("password/forgot/", recovery.forgot, name="password_forgot"),
    path("password/reset/", recovery.reset, name="password_reset"),
    path("password/reset/<str:token>/", recovery.reset_link, name="password_reset_link"),
    path("account/", account.account, name="account"),
    path("account/password/", account.change_password, name="change_password"),
    path("account/secret-question/", account.change_secret_question, name="change_secret"),
    path(
        "account/contact-email/<str:token>/",
        account.confirm_contact_link,
        name="confirm_contact_link",
    ),
    path("account/contact-email/", account.confirm_contact, name="confirm_contact"),
]
