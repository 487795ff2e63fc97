from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("my/inbox/", views.inbox, name="inbox"),
    path("my/inbox/<int:pk>/read/", views.read, name="read"),
]
