from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("staff/supervision/", views.home, name="home"),
    path("staff/supervision/cases/", views.cases, name="cases"),
]
