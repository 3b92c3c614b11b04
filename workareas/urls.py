from django.urls import path

from workareas import console_views, views

app_name = "workareas"

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/areas/<slug:code>/", views.area, name="area"),
    path("account/work-areas/", views.my_areas, name="work_areas"),
    path("structures/<int:pk>/members/", console_views.member_list, name="members"),
    path("structures/<int:pk>/members/invite/", console_views.member_invite, name="invite"),
    path("structures/<int:pk>/members/export/", console_views.members_export, name="export"),
    path(
        "structures/<int:pk>/members/<int:member_id>/", console_views.member_detail, name="member"
    ),
    path(
        "structures/<int:pk>/members/<int:member_id>/action/",
        console_views.member_action,
        name="member_action",
    ),
    path(
        "structures/<int:pk>/members/<int:member_id>/copy/",
        console_views.member_copy,
        name="member_copy",
    ),
    path("structures/<int:pk>/join-requests/", console_views.join_requests, name="join_requests"),
    path("structures/<int:pk>/history/", console_views.history, name="history"),
    path(
        "structures/invitations/<int:member_id>/",
        console_views.invitation_answer,
        name="invitation_answer",
    ),
]
