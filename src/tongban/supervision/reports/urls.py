from django.urls import path

from . import views

app_name = "supervision_reports"
urlpatterns = [
    path("staff/supervision/reports/", views.report_list, name="list"),
    path("staff/supervision/reports/generate/", views.generate, name="generate"),
    path("staff/supervision/reports/<int:report_id>/", views.detail, name="detail"),
    path("staff/supervision/reports/<int:report_id>/report.<str:fmt>", views.download, name="download"),
    path("gongshi/", views.publicity_page, name="publicity"),
]
