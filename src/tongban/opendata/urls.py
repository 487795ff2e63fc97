from django.urls import path, re_path

from . import views
from .datasets import SPECS

app_name = "opendata"

# Only the published datasets' slugs match, so other pages under /opendata/ (the audit anchors)
# never fall into the dataset views.
SLUG = "(?P<slug>" + "|".join(SPECS) + ")"

urlpatterns = [
    path("opendata/", views.index, name="index"),
    re_path(r"^opendata/catalog\.(?P<fmt>jsonld|ttl)$", views.catalogue, name="catalogue"),
    re_path(rf"^opendata/{SLUG}/$", views.dataset, name="dataset"),
    re_path(rf"^opendata/{SLUG}/download\.(?P<fmt>csv|json|xlsx)$", views.download, name="download"),
    re_path(rf"^opendata/{SLUG}/datapackage\.json$", views.datapackage, name="datapackage"),
    re_path(rf"^opendata/{SLUG}/dcat\.(?P<fmt>jsonld|ttl)$", views.dataset_metadata, name="metadata"),
]
