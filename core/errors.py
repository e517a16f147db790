"""Errors that services raise; the API and the imports turn them into one JSON shape."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    path: str
    code: str
    message: str


class DomainValidationError(Exception):
    """Input that breaks a rule spanning several fields or objects. Nothing was changed."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.path}: {e.message}" for e in errors))
        self.errors = errors

    @classmethod
    def single(cls, path: str, code: str, message: str) -> DomainValidationError:
        return cls([FieldError(path, code, message)])


class InvalidTransition(Exception):
    """A state change that is not allowed from the object's current state (HTTP 409)."""

    def __init__(self, message: str, *, current_state: str) -> None:
        super().__init__(message)
        self.current_state = current_state


class NotPermitted(Exception):
    """The acting organisation may see the object but not make this change (HTTP 403)."""
