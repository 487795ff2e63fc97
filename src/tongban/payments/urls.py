from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("payments/", views.mine, name="mine"),
    path("staff/payments/figures/", views.figures, name="figures"),
    path("payments/notify/<str:channel>/", views.notify, name="notify"),
    path("payments/manage/", views.manage, name="manage"),
    path("payments/manage/mismatches/", views.mismatches, name="mismatches"),
    path("payments/manage/<uuid:public_id>/", views.staff_order, name="staff_order"),
    path("payments/<uuid:public_id>/", views.order, name="order"),
    path("payments/<uuid:public_id>/pay/", views.pay, name="pay"),
    path("payments/<uuid:public_id>/reissue/", views.reissue, name="reissue"),
    path("payments/<uuid:public_id>/return/", views.returned, name="returned"),
]
