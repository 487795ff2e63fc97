from django.urls import path

from . import views

app_name = "forms"

_base = "staff/catalog/items/<int:pk>/form/"
urlpatterns = [
    path(_base, views.editor, name="editor"),
    path(f"{_base}preview/", views.form_preview, name="preview"),
    path(f"{_base}draft/", views.draft_action, name="draft"),
    path(f"{_base}reorder/", views.reorder, name="reorder"),
    path(f"{_base}fields/new/", views.field_new, name="field_new"),
    path(f"{_base}fields/<slug:name>/", views.field_edit, name="field_edit"),
    path(f"{_base}fields/<slug:name>/remove/", views.field_remove, name="field_remove"),
    path(f"{_base}fields/<slug:name>/move/", views.field_move, name="field_move"),
]
