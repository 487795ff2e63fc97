from django.urls import path

from . import document_admin_views
from .views import applying, counter, downloads, mine, processing

app_name = "cases"
urlpatterns = [
    path("items/<str:code>/apply/", applying.apply_notice, name="apply"),
    path("apply/<uuid:pid>/step/<int:n>/", applying.apply_step, name="apply_step"),
    path("apply/<uuid:pid>/materials/", applying.apply_materials, name="apply_materials"),
    path("apply/<uuid:pid>/check/", applying.apply_check, name="apply_check"),
    path("apply/<uuid:pid>/done/", applying.apply_done, name="apply_done"),
    path("files/<uuid:pid>/", downloads.attachment_file, name="file"),
    path("my/cases/", mine.my_cases, name="my_cases"),
    path("my/cases/<str:number>/", mine.my_case, name="my_case"),
    path("my/cases/<str:number>/correct/", mine.my_case_correct, name="my_case_correct"),
    path("my/cases/<str:number>/withdraw/", mine.my_case_withdraw, name="my_case_withdraw"),
    path("staff/queue/", processing.staff_queue, name="staff_queue"),
    path("staff/window/", counter.window, name="window"),
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
    path("staff/cases/<str:number>/", processing.staff_case, name="staff_case"),
    path("staff/cases/<str:number>/claim/", processing.staff_claim, name="staff_claim"),
    path("staff/cases/<str:number>/release/", processing.staff_release, name="staff_release"),
    path("staff/cases/<str:number>/act/", processing.staff_act, name="staff_act"),
]
