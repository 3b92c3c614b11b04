from django.urls import path

from outbox import mailbox

app_name = "outbox"

urlpatterns = [
    path("mailbox/", mailbox.mailbox, name="mailbox"),
]
