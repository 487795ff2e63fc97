from django.contrib import admin
from django.urls import include, path

from tongban.api import api
from tongban.identity.oidc import urls as oidc_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(oidc_urls.provider)),
    path("", include("tongban.identity.oidc.urls")),
    path("", include("tongban.identity.urls")),
    path("documents/cases/", include("tongban.cases.document_urls")),
    path("", include("tongban.notifications.urls")),
    path("", include("tongban.workflow.urls")),
    path("", include("tongban.certificates.urls")),
    path("", include("tongban.sharing.urls")),
    path("", include("tongban.payments.urls")),
    path("", include("tongban.appointments.urls")),
    path("", include("tongban.ratings.urls")),
    path("", include("tongban.decisions.urls")),
    path("", include("tongban.consult.urls")),
    path("", include("tongban.supervision.urls")),
    path("", include("tongban.supervision.cards.urls")),
    path("", include("tongban.supervision.reports.urls")),
    path("", include("tongban.core.anchor_urls")),
    path("", include("tongban.opendata.urls")),
    path("", include("tongban.cases.urls")),
    path("", include("tongban.catalog.urls")),
    path("", include("tongban.forms.urls")),
    path("", include("tongban.web.urls")),
]
