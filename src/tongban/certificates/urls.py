from django.urls import path

from . import type_views, views

app_name = "certificates"
urlpatterns = [
    path("my/certificates/", views.wallet, name="wallet"),
    path("my/certificates/shares/<int:pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("my/certificates/<str:identifier>/", views.wallet_detail, name="wallet_detail"),
    path("my/certificates/<str:identifier>/present/", views.present, name="present"),
    path("my/certificates/<str:identifier>/share/", views.share, name="share"),
    path("my/certificates/<str:identifier>/pdf/", views.download_pdf, name="pdf"),
    path("my/certificates/<str:identifier>/json/", views.download_json, name="json"),
    path("certificates/verify/", views.verify_page, name="verify"),
    path("certificates/verify/<str:identifier>/", views.verify_identifier, name="verify_identifier"),
    path("certificates/presented/<str:token>/", views.presented, name="presented"),
    path("certificates/shared/<str:token>/", views.shared, name="shared"),
    path("proofs/", views.proofs, name="proofs"),
    path("proofs/<str:code>/", views.proof_item, name="proof_item"),
    path("staff/certificate-types/", type_views.type_list, name="type_list"),
    path("staff/certificate-types/new/", type_views.type_new, name="type_new"),
    path("staff/certificate-types/<int:pk>/", type_views.type_edit, name="type_edit"),
    path("staff/certificate-types/<int:pk>/preview/", type_views.type_preview, name="type_preview"),
    path(
        "staff/certificate-types/<int:pk>/preview.pdf", type_views.type_preview_pdf, name="type_preview_pdf"
    ),
    path("staff/certificates/<str:identifier>/", views.staff_certificate, name="staff_certificate"),
]
