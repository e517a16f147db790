"""The pages' language: Dutch by default, English when the user chose it. The API keeps
English, the language its error messages are documented in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

UNTRANSLATED = ("/api/", "/ws/", "/health/")


class PageLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith(UNTRANSLATED):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
            return
        super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if request.path.startswith(UNTRANSLATED):
            return response
        return super().process_response(request, response)
