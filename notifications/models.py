"""In-app notifications: what a user must answer, or an outcome it waits for."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """An in-app message for one user about something to answer or an outcome it waits for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        "events.Event", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    placement = models.ForeignKey(
        "placements.Placement", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One notification per user and event: delivering an event twice notifies once.
            models.UniqueConstraint(fields=["user", "event"], name="notification_once_per_event"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class EmailFrequency(models.TextChoices):
    EACH = "each", _("An e-mail for each notification")
    DAILY = "daily", _("One daily digest")
    NONE = "none", _("No e-mail (in-app only)")


class Preference(models.Model):
    """How a user wants to hear from Leerplek: language and e-mail frequency."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(
        max_length=5, choices=[("nl", "Nederlands"), ("en", "English")], default="nl"
    )
    email = models.CharField(
        max_length=5, choices=EmailFrequency.choices, default=EmailFrequency.EACH
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}, {self.email}"
