from django.urls import path

from . import views

app_name = "identity"
urlpatterns = [
    path("account/", views.account, name="account"),
    path("account/register/", views.register, name="register"),
    path("account/verify/", views.verify, name="verify"),
    path("account/login/", views.login_view, name="login"),
    path("account/login/two-factor/", views.login_totp, name="login_totp"),
    path("account/login/enrol/", views.login_enrol, name="login_enrol"),
    path("account/logout/", views.logout_view, name="logout"),
    path("account/recover/", views.recover, name="recover"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("account/acting-as/", views.acting_as, name="acting_as"),
    path("account/enterprises/open/", views.enterprise_open, name="enterprise_open"),
    path("account/enterprises/<int:pk>/", views.enterprise_detail, name="enterprise"),
    path(
        "account/enterprises/<int:pk>/agents/<int:grant_pk>/revoke/", views.revoke_agent, name="revoke_agent"
    ),
    path("staff/login/", views.staff_login, name="staff_login"),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/departments/<int:pk>/", views.staff_department, name="staff_department"),
    path("staff/in-person/", views.in_person_verify, name="in_person_verify"),
]
