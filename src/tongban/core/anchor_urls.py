"""/opendata/audit-anchors/: included before the open-data portal's own addresses."""

from django.urls import path

from . import anchor_views

app_name = "anchors"

urlpatterns = [
    path("opendata/audit-anchors/", anchor_views.anchor_list, name="list"),
    path("opendata/audit-anchors/anchors.json", anchor_views.anchors_json, name="json"),
    path("opendata/audit-anchors/keys.json", anchor_views.keys_json, name="keys"),
]
