"""Related fields whose errors a user can read: DRF's own say `Invalid pk "17" - object does
not exist.` and `Object with code=1234 does not exist.`"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


def _what(field: serializers.RelatedField, what: str | None) -> str:
    if what:
        return what
    queryset = field.queryset
    return str(queryset.model._meta.verbose_name) if queryset is not None else "object"


class KnownIdField(serializers.PrimaryKeyRelatedField):
    """An id of an object the user may refer to; anything else reads as not found."""

    def __init__(self, *, what: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.what = what

    def fail(self, key: str, **kwargs: Any) -> None:
        what = _what(self, self.what)
        if key == "does_not_exist":
            raise serializers.ValidationError(
                f"There is no {what} {kwargs.get('pk_value')} that you can use here.", code=key
            )
        if key == "incorrect_type":
            raise serializers.ValidationError(
                f"Give the {what} as its id, a whole number.", code=key
            )
        super().fail(key, **kwargs)


class PostcodeAreaField(serializers.SlugRelatedField):
    """A four-digit postcode area that the region has loaded (manage.py load_reference)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="code", **kwargs)

    def fail(self, key: str, **kwargs: Any) -> None:
        if key == "does_not_exist":
            raise serializers.ValidationError(
                f"Postcode area {kwargs.get('value')} is not known to Leerplek. Check the four "
                "digits; if they are right, ask your regional coordinator to add the area.",
                code=key,
            )
        if key == "invalid":
            raise serializers.ValidationError(
                "Give the postcode area as four digits, e.g. 3511.", code=key
            )
        super().fail(key, **kwargs)


class ModelSerializer(serializers.ModelSerializer):
    """The API's model serializer: its generated relations use KnownIdField."""

    serializer_related_field = KnownIdField
