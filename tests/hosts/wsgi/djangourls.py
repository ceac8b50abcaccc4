"""A Django URLconf whose view delegates to the tgserve WSGI app (set ``TG`` first)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

TG: Any = None


def telegram(request: HttpRequest) -> HttpResponse:
    status, headers, body = TG.call(request.META, request.body)
    response = HttpResponse(body, status=status)
    for name, value in headers:
        if name != "content-length":
            response[name] = value
    return response


urlpatterns = [path("telegram/webhook", csrf_exempt(telegram))]
