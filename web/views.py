"""The pages: the coordinator's dashboard, the school's page and the care organisation's.

Thin: each page checks who is asking through the same selectors as the API, renders the
frame, and its script reads and writes through the REST API and follows the live stream.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from notifications import services as notifications
from notifications.models import EmailFrequency, Preference
from placements import selectors
from placements.domain import (
    SOURCE_KINDS_BY_ORGANISATION,
    OrganisationKind,
    Sector,
    SupervisionKind,
)
from placements.models import Membership, Opleiding

HOME_OF: dict[str, str] = {
    OrganisationKind.COORDINATION: "web:coordinator",
    OrganisationKind.SCHOOL: "web:school",
    OrganisationKind.CARE: "web:organisation",
}


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    organisation = selectors.organisation_of(request.user)
    return {
        "organisation": organisation,
        "can_write": selectors.can_write(request.user),
        "preference": notifications.preference_of(request.user),
        "email_choices": EmailFrequency.choices,
        # The domain's labels in the page's language, for the scripts (the API gives codes).
        "labels": {"sectors": dict(Sector.choices), "kinds": dict(SupervisionKind.choices)},
        **extra,
    }


def home(request: HttpRequest) -> HttpResponse:
    """Visitors log in; members go to their organisation's page."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    organisation = selectors.organisation_of(request.user)
    if organisation is None:
        return (
            redirect("admin:index")
            if request.user.is_staff
            else render(request, "web/no_organisation.html", status=403)
        )
    return redirect(HOME_OF[organisation.kind])


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        """Logged in: the pages in the language this user chose before, on any browser."""
        response = super().form_valid(form)
        saved = Preference.objects.filter(user=form.get_user()).first()
        if saved is not None:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, saved.language, samesite="Lax")
        return response

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The demo's users, shown outside production only, where they are the seeded ones.
        context["demo_users"] = (
            []
            if settings.PRODUCTION
            else Membership.objects.select_related("user", "organisation__region").order_by(
                "organisation__region__name", "organisation__kind", "organisation__name"
            )[:60]
        )
        return context


def _page(request: HttpRequest, kind: str, template: str, **extra: Any) -> HttpResponse:
    organisation = selectors.organisation_of(request.user)
    if organisation is None or organisation.kind != kind:
        return redirect("web:home")
    return render(request, template, _context(request, **extra))


@login_required
def coordinator(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        OrganisationKind.COORDINATION,
        "web/coordinator.html",
        sectors=Sector.choices,
        kinds=SupervisionKind.choices,
        opleidingen=Opleiding.objects.filter(requests__region=_region_id(request))
        .distinct()
        .order_by("name"),
    )


def _region_id(request: HttpRequest) -> int | None:
    organisation = selectors.organisation_of(request.user)
    return organisation.region_id if organisation else None


@login_required
def school(request: HttpRequest) -> HttpResponse:
    return _page(request, OrganisationKind.SCHOOL, "web/school.html")


@login_required
def organisation(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        OrganisationKind.CARE,
        "web/organisation.html",
        sectors=Sector.choices,
        kinds=[
            (value, label)
            for value, label in SupervisionKind.choices
            if value in SOURCE_KINDS_BY_ORGANISATION[OrganisationKind.CARE]
        ],
        opleidingen=Opleiding.objects.order_by("name", "leerweg"),
    )


@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """The language (anyone, kept in a cookie) and, for a user, the e-mail frequency."""
    language = request.POST.get("language")
    languages = dict(settings.LANGUAGES)
    email = request.POST.get("email")
    if request.user.is_authenticated:
        notifications.preference_update(
            user=request.user,
            language=language if language in languages else None,
            email=email if email in EmailFrequency.values else None,
        )
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in languages:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax")
    return response
