from django.urls import path

from . import joint, views

app_name = "ratings"
urlpatterns = [
    path("my/cases/<str:number>/rate/", views.rate_case, name="rate"),
    path("my/cases/<str:number>/rating/", views.my_rating, name="my_rating"),
    path("my/joint/<str:number>/rate/", joint.rate_joint, name="rate_joint"),
    path("ratings/re-rate/<int:pk>/", views.re_rate, name="re_rate"),
    path("ratings/visit/<uuid:token>/", views.visit_rate, name="visit"),
    path("ratings/rankings/", views.rankings, name="rankings"),
    path("staff/ratings/", views.staff_tasks, name="staff_tasks"),
    path("staff/ratings/tasks/<int:pk>/", views.staff_task, name="staff_task"),
    path("staff/ratings/received/", views.staff_received, name="staff_received"),
    path("staff/ratings/received/<int:pk>/appeal/", views.staff_appeal, name="staff_appeal"),
    path("staff/ratings/window/", views.window_open, name="window_open"),
    path("staff/ratings/window/<uuid:token>/", views.window_visit, name="window_visit"),
    path("staff/ratings/supervision/", views.supervision, name="supervision"),
    path("staff/ratings/appeals/<int:pk>/", views.appeal_decide, name="appeal_decide"),
    path("staff/ratings/export/", views.export, name="export"),
]
