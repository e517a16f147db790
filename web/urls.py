from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("coordinator/", views.coordinator, name="coordinator"),
    path("school/", views.school, name="school"),
    path("organisation/", views.organisation, name="organisation"),
    path("preferences/", views.preferences, name="preferences"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["web"]), name="jsi18n"),
]
