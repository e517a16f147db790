"""The outbox: every state change writes an event here in the same transaction."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Event(models.Model):
    """One state change, numbered per region without gaps, published after commit.

    The payload carries ids, type and version, never model instances: readers re-read state.
    """

    region = models.ForeignKey("placements.Region", on_delete=models.PROTECT, related_name="events")
    seq = models.BigIntegerField()
    type = models.CharField(max_length=60)
    version = models.PositiveSmallIntegerField(default=1)
    payload = models.JSONField(default=dict)
    # Organisations that may see this event besides the region's coordinators.
    audience = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["region", "seq"], name="event_seq_unique_per_region"),
        ]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(published_at__isnull=True),
                name="event_unpublished",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id}#{self.seq} {self.type}"


class Notification(models.Model):
    """An in-app message for one user about something to answer or an outcome it waits for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="notifications")
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
