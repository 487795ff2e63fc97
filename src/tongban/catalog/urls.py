from django.urls import path

from . import bundle_admin_views, search_log_views, views

app_name = "catalog"

urlpatterns = [
    path("staff/catalog/", views.workspace, name="workspace"),
    path("staff/catalog/items/<int:pk>/", views.item_detail, name="item"),
    path("staff/catalog/items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("staff/catalog/items/<int:pk>/status/", views.item_status, name="item_status"),
    path("staff/catalog/bundles/", bundle_admin_views.bundle_list, name="bundles"),
    path("staff/catalog/bundles/<int:pk>/", bundle_admin_views.bundle_edit, name="bundle"),
    path("staff/catalog/bundles/<int:pk>/change/", bundle_admin_views.bundle_action, name="bundle_action"),
    path("staff/catalog/search-queries/", search_log_views.search_queries, name="search_queries"),
    path("staff/catalog/search-queries/synonym/", search_log_views.add_synonym, name="search_synonym"),
    path("staff/catalog/search-queries/review/", search_log_views.review_query, name="search_query_review"),
]
# One set of routes per kind of child row, spelled out so they never shadow other item pages.
for _kind in ("materials", "steps", "fees", "faqs"):
    _base = f"staff/catalog/items/<int:pk>/{_kind}/"
    _extra = {"kind": _kind}
    urlpatterns += [
        path(f"{_base}new/", views.child_edit, _extra, name=f"{_kind}_new"),
        path(f"{_base}<int:row>/", views.child_edit, _extra, name=f"{_kind}_edit"),
        path(f"{_base}<int:row>/remove/", views.child_remove, _extra, name=f"{_kind}_remove"),
    ]
    if _kind != "fees":  # fees have no order
        urlpatterns.append(path(f"{_base}<int:row>/move/", views.child_move, _extra, name=f"{_kind}_move"))
