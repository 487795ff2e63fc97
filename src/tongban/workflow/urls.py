from django.urls import path

from . import views

app_name = "workflow"

urlpatterns = [
    path("staff/processes/", views.process_list, name="process_list"),
    path("staff/processes/<int:item_id>/", views.process_detail, name="process_detail"),
    path("staff/processes/<int:item_id>/save/", views.process_save, name="process_save"),
    path("staff/processes/<int:item_id>/assign/", views.process_assign, name="process_assign"),
    path(
        "staff/processes/<int:item_id>/versions/<int:definition_id>.bpmn",
        views.process_download,
        name="process_download",
    ),
]
