from django.urls import path

from .document_views import case_document

app_name = "case_documents"
urlpatterns = [
    path("<str:number>/<slug:kind>.pdf", case_document, name="download"),
]
