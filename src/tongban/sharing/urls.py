from django.urls import path

from . import views

app_name = "sharing"
urlpatterns = [
    path("sharing/", views.catalogue, name="catalogue"),
    path("sharing/resources/<path:code>/request/", views.request_sharing, name="request"),
    path("sharing/resources/<path:code>/", views.resource_detail, name="resource"),
    path("staff/sharing/", views.staff, name="staff"),
    path("staff/sharing/requests/<int:pk>/decide/", views.decide, name="decide"),
    path("staff/sharing/grants/<int:pk>/revoke/", views.revoke, name="revoke"),
    path("staff/sharing/reports/<int:pk>/answer/", views.answer_report, name="answer_report"),
    path("staff/sharing/disputes/<int:pk>/decide/", views.decide_dispute, name="decide_dispute"),
    path("my/data-use/export.csv", views.export, name="export"),
    path("my/data-use/<int:pk>/report/", views.report, name="report"),
    path("my/data-disputes/", views.disputes, name="disputes"),
]
