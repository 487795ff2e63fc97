from django.urls import path

from . import open311, views

app_name = "consult"
urlpatterns = [
    path("consult/", views.ask, name="ask"),
    path("consult/new/", views.new_request, name="new"),
    path("consult/faq/", views.faq, name="faq"),
    path("consult/r/<str:number>/", views.status_page, name="status"),
    path("consult/r/<str:number>/files/<int:pk>/", views.attachment, name="attachment"),
    path("my/consult/", views.my_requests, name="my"),
    path("staff/consult/", views.staff_queue, name="staff_queue"),
    path("staff/consult/call/", views.record_call, name="record_call"),
    path("staff/consult/r/<str:number>/", views.staff_petition, name="staff_petition"),
    path("open311/v2/services.<str:fmt>", open311.service_list, name="open311_services"),
    path("open311/v2/services/<str:code>.<str:fmt>", open311.service_definition, name="open311_service"),
    path("open311/v2/requests.<str:fmt>", open311.requests, name="open311_requests"),
    path("open311/v2/requests/<str:number>.<str:fmt>", open311.request_detail, name="open311_request"),
    path("open311/v2/tokens/<str:token>.<str:fmt>", open311.token_detail, name="open311_token"),
]
