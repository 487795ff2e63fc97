from django.urls import path

from . import document_admin_views
from .views import (
    applying,
    counter,
    crossregion,
    downloads,
    joint_applying,
    joint_processing,
    mine,
    processing,
)

app_name = "cases"
urlpatterns = [
    path("items/<str:code>/apply/", applying.apply_notice, name="apply"),
    path("apply/<uuid:pid>/step/<int:n>/", applying.apply_step, name="apply_step"),
    path("apply/<uuid:pid>/materials/", applying.apply_materials, name="apply_materials"),
    path("apply/<uuid:pid>/check/", applying.apply_check, name="apply_check"),
    path("apply/<uuid:pid>/done/", applying.apply_done, name="apply_done"),
    path("yijianshi/<slug:slug>/apply/", joint_applying.joint_start, name="joint_start"),
    path("apply/joint/<uuid:pid>/step/<int:n>/", joint_applying.joint_step, name="joint_step"),
    path("apply/joint/<uuid:pid>/materials/", joint_applying.joint_materials, name="joint_materials"),
    path("apply/joint/<uuid:pid>/check/", joint_applying.joint_check, name="joint_check"),
    path("apply/joint/<uuid:pid>/done/", joint_applying.joint_done, name="joint_done"),
    path("files/<uuid:pid>/", downloads.attachment_file, name="file"),
    path("my/cases/", mine.my_cases, name="my_cases"),
    path("my/cases/<str:number>/", mine.my_case, name="my_case"),
    path("my/cases/<str:number>/correct/", mine.my_case_correct, name="my_case_correct"),
    path("my/cases/<str:number>/withdraw/", mine.my_case_withdraw, name="my_case_withdraw"),
    path("my/joint/<str:number>/", joint_processing.my_joint_result, name="my_joint"),
    path("my/joint/<str:number>/result/", joint_processing.my_joint_result, name="my_joint_result"),
    path("my/joint/<str:number>/correct/", joint_processing.my_joint_correct, name="my_joint_correct"),
    path("staff/joint/", joint_processing.staff_joint_list, name="staff_joint_list"),
    path("staff/joint/<str:number>/", joint_processing.staff_joint, name="staff_joint"),
    path("staff/queue/", processing.staff_queue, name="staff_queue"),
    path("staff/window/", counter.window, name="window"),
    path("staff/crossregion/", crossregion.receive, name="crossregion_receive"),
    path("staff/crossregion/received/", crossregion.received, name="crossregion_received"),
    path(
        "staff/crossregion/received/<str:number>/",
        crossregion.received_case,
        name="crossregion_received_case",
    ),
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
    path("staff/cases/<str:number>/reveal/", processing.staff_reveal, name="staff_reveal"),
    path("staff/cases/<str:number>/claim/", processing.staff_claim, name="staff_claim"),
    path("staff/cases/<str:number>/release/", processing.staff_release, name="staff_release"),
    path("staff/cases/<str:number>/act/", processing.staff_act, name="staff_act"),
]
