from django.urls import path

from accounts.views import account, auth, mfa, recovery, security_keys, two_step

app_name = "accounts"

urlpatterns = [
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("login/verify/", mfa.login_verify, name="login_verify"),
    path("login/verify/send-code/", mfa.login_verify_send_code, name="login_verify_send_code"),
    path("login/verify/recovery/", mfa.login_verify_recovery, name="login_verify_recovery"),
    path("login/verify/key/", security_keys.login_key, name="login_verify_key"),
    path(
        "login/verify/key/options/",
        security_keys.login_options,
        name="login_verify_key_options",
    ),
    path("account/two-step/", two_step.two_step, name="two_step"),
    path("account/two-step/choose/", two_step.choose, name="two_step_choose"),
    path("account/two-step/app/", two_step.authenticator_app, name="two_step_app"),
    path("account/two-step/email/", two_step.keep_email_codes, name="two_step_email"),
    path("account/two-step/key/", security_keys.add, name="two_step_key"),
    path(
        "account/two-step/key/options/",
        security_keys.add_options,
        name="two_step_key_options",
    ),
    path(
        "account/two-step/recovery-codes/",
        two_step.recovery_codes_new,
        name="two_step_recovery_codes",
    ),
    path("account/two-step/remove/", two_step.remove_factor, name="two_step_remove"),
    path(
        "account/two-step/browsers/<int:pk>/revoke/",
        two_step.revoke_browser,
        name="two_step_revoke_browser",
    ),
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
