from django.urls import path

from helpdesk import views

app_name = "helpdesk"

urlpatterns = [
    path("", views.help_page, name="help"),
    path("ask/", views.ask, name="ask"),
    path("sent/", views.question_sent, name="question_sent"),
]
