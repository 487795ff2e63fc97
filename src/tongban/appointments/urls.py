from django.urls import path

from . import views

app_name = "appointments"
urlpatterns = [
    path("appointments/book/<int:item_id>/", views.book, name="book"),
    path("my/appointments/", views.my_bookings, name="my_bookings"),
    path("my/appointments/<str:number>/", views.booking_detail, name="booking"),
    path("my/appointments/<str:number>/cancel/", views.cancel, name="cancel"),
    path("my/appointments/<str:number>/reschedule/", views.reschedule, name="reschedule"),
    path("halls/<slug:code>/", views.kiosk, name="kiosk"),
    path("halls/<slug:code>/screen/", views.screen, name="screen"),
    path("halls/<slug:code>/tickets/<uuid:token>/", views.ticket, name="ticket"),
    path("staff/windows/", views.windows, name="windows"),
    path("staff/windows/<int:pk>/", views.window, name="window"),
    path("staff/appointments/figures/", views.figures, name="figures"),
]
