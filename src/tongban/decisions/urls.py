from django.urls import path

from . import views

app_name = "decisions"
urlpatterns = [
    path("decisions/cases/<str:number>/", views.case_decision, name="case"),
    path("decisions/offers/", views.my_offers, name="offers"),
    path("decisions/offers/<int:pk>/confirm/", views.offer_confirm, name="offer_confirm"),
    path("decisions/offers/<int:pk>/decline/", views.offer_decline, name="offer_decline"),
    path("staff/decisions/reviews/", views.reviews, name="reviews"),
    path("staff/decisions/reviews/<int:pk>/", views.review_answer, name="review"),
    path("staff/decisions/figures/", views.figures, name="figures"),
]
