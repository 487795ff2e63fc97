from django.urls import path

from . import document_admin_views, views

app_name = "cases"
urlpatterns = [
    path("items/<str:code>/apply/", views.apply_notice, name="apply"),
    path("apply/<uuid:pid>/step/<int:n>/", views.apply_step, name="apply_step"),
    path("apply/<uuid:pid>/materials/", views.apply_materials, name="apply_materials"),
    path("apply/<uuid:pid>/check/", views.apply_check, name="apply_check"),
    path("apply/<uuid:pid>/done/", views.apply_done, name="apply_done"),
    path("files/<uuid:pid>/", views.attachment_file, name="file"),
    path("my/cases/", views.my_cases, name="my_cases"),
    path("my/cases/<str:number>/", views.my_case, name="my_case"),
    path("my/cases/<str:number>/correct/", views.my_case_correct, name="my_case_correct"),
    path("my/cases/<str:number>/withdraw/", views.my_case_withdraw, name="my_case_withdraw"),
    path("staff/queue/", views.staff_queue, name="staff_queue"),
    path("staff/window/", views.window, name="window"),
    path("staff/documents/", document_admin_views.index, name="document_templates"),
    path(
        "staff/documents/<str:scope>/<str:item_type>/<slug:kind>/",
        document_admin_views.edit,
        name="document_template",
    ),
    path(
        "staff/documents/<str:scope>/<str:item_type>/<slug:kind>/preview/",
        document_admin_views.preview,
        name="document_template_preview",
    ),
    path("staff/cases/<str:number>/", views.staff_case, name="staff_case"),
    path("staff/cases/<str:number>/claim/", views.staff_claim, name="staff_claim"),
    path("staff/cases/<str:number>/release/", views.staff_release, name="staff_release"),
    path("staff/cases/<str:number>/act/", views.staff_act, name="staff_act"),
]
