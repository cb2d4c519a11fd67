from django.urls import include, path

urlpatterns = [
    path("schedule/", include("schedule.urls")),
    path("appointment/", include("appointment.urls")),
]
