from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from placements import selectors


class IsMember(BasePermission):
    """Authenticated and acting for an organisation; viewers may only read."""

    message = "You act for no organisation, or your role may only read."

    def has_permission(self, request: Any, view: Any) -> bool:
        if selectors.organisation_of(request.user) is None:
            return False
        return request.method in SAFE_METHODS or selectors.can_write(request.user)
