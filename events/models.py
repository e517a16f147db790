"""The outbox: every state change writes an event here in the same transaction."""

from __future__ import annotations

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
        # The table kept its name when the model moved here from notifications.
        db_table = "notifications_event"
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
