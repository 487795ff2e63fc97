from django.urls import path

from . import views

app_name = "supervision_cards"
urlpatterns = [
    path("staff/cards/", views.card_list, name="list"),
    path("staff/cards/inbox/", views.inbox, name="inbox"),
    path("staff/cards/<int:pk>/", views.card_detail, name="card"),
    path("staff/cards/<int:pk>/order/", views.issue_order, name="order"),
    path("staff/cards/<int:pk>/answer/", views.answer, name="answer"),
    path("staff/cards/<int:pk>/review/", views.review, name="review"),
]
