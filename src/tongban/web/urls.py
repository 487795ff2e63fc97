from django.urls import path

from . import personal, views, workbench

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("search/go/", views.search_go, name="search_go"),
    path("items/<str:code>/", views.item_detail, name="item"),
    path("themes/", views.theme_list, name="themes"),
    path("themes/<str:audience>/<str:slug>/", views.theme_detail, name="theme"),
    path("for/<str:audience>/", views.audience_detail, name="audience"),
    path("departments/", views.department_list, name="departments"),
    path("departments/<int:pk>/", views.department_detail, name="department"),
    path("regions/", views.region_index, name="regions"),
    path("regions/<str:code>/", views.region_detail, name="region"),
    path("life-events/<str:slug>/", views.life_event_detail, name="life_event"),
    path("preferences/region/", views.region_choose, name="region_choose"),
    path("preferences/region/set/", views.set_region, name="set_region"),
    path("preferences/elderly/", views.set_elderly, name="set_elderly"),
    path("my/", personal.my_home, name="my"),
    path("my/data-use/", personal.my_data_use, name="my_data_use"),
    path("staff/overview/departments/", workbench.supervised_departments, name="staff_departments"),
]
