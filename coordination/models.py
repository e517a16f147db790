"""Allocation runs and what they left unplaced. The engine itself lives in coordination/engine/."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"


class AllocationRun(models.Model):
    region = models.ForeignKey(
        "placements.Region", on_delete=models.PROTECT, related_name="allocation_runs"
    )
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requests_considered = models.PositiveIntegerField(default=0)
    placed = models.PositiveIntegerField(default=0)
    unplaced = models.PositiveIntegerField(default=0)
    upper_bound = models.FloatField(null=True, blank=True)
    objective = models.JSONField(default=dict, blank=True)
    # The engine's result in the documented JSON format (docs/allocation-format.md).
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    # "full": solved from scratch; "incremental": the previous result plus what was new
    # (coordination/modes.py decides).
    mode = models.CharField(max_length=12, blank=True)
    # The region's last event seq before loading: events after it may be missing from this
    # run's problem, so the next run looks at them when it decides its mode.
    loaded_seq = models.PositiveBigIntegerField(null=True, blank=True)
    # When the last full run of the chain this run continues started (itself, if full).
    full_run_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one run per region is running at a time.
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(status="running"),
                name="one_running_allocation_per_region",
            ),
        ]

    def __str__(self) -> str:
        return f"Run {self.pk} in {self.region} ({self.status})"


class UnplacedRequest(models.Model):
    """Why a run could not place a request, and what would place it."""

    run = models.ForeignKey(
        AllocationRun, on_delete=models.CASCADE, related_name="unplaced_requests"
    )
    request = models.ForeignKey(
        "placements.PlacementRequest", on_delete=models.CASCADE, related_name="unplaced_reasons"
    )
    reason = models.CharField(max_length=30)
    criterion = models.CharField(max_length=30, blank=True)
    binding_plekken = models.JSONField(default=list)
    binding_sources = models.JSONField(default=list)
    suggestion = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "request"], name="unplaced_once_per_run"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id}: request {self.request_id} {self.reason}"


class AllocationQueue(models.Model):
    """Per region: does it need an allocation run, and who holds the lease to run it.

    The database, not the broker, knows which regions still need a run: `pending` is set by
    every trigger and cleared only when a run that started after the trigger has finished. A
    worker holds `lease_until` while it runs and extends it by heartbeat; a killed worker's
    lease simply runs out and the sweeper starts the run again.
    """

    region = models.OneToOneField(
        "placements.Region", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    pending = models.BooleanField(default=False)
    requested_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"{self.region_id}: pending={self.pending} lease_until={self.lease_until}"
