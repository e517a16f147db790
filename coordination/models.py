"""Allocation runs and what they left unplaced. The engine itself lives in coordination/engine/."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from core.fields import StoredJSONField


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
    result = StoredJSONField(null=True, blank=True)
    # Why a failed run failed, as a sentence a coordinator can read (services.describe_failure);
    # the exception and traceback for operators are in error_detail and the worker log.
    error = models.TextField(blank=True)
    error_detail = models.TextField(blank=True)
    # error (the run raised), worker_lost (its worker died), superseded (answers arrived
    # during the run; a new one follows at once, which is normal, not an alarm).
    failure_reason = models.CharField(max_length=20, blank=True)
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
            # A coordinator's "run now" waits as one queued run; asking again returns it.
            models.UniqueConstraint(
                fields=["region"],
                condition=Q(status="queued"),
                name="one_queued_allocation_per_region",
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
    # Runs that failed in a row, and when the next may start: a failing region is retried
    # with growing pauses (services.RETRY_BACKOFF), never given up on.
    failures = models.PositiveIntegerField(default=0)
    retry_after = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.region_id}: pending={self.pending} lease_until={self.lease_until}"


class AnalysisKind(models.TextChoices):
    CAPACITY = "capacity", "Capacity report"
    SCENARIO = "scenario", "What-if scenario"


class AnalysisJob(models.Model):
    """A capacity report or what-if scenario, computed by a worker on a copy of the region.

    Stores nothing in the region itself. `state_key` fingerprints the region's allocation
    problem with the job's kind and parameters: a job for a state that was already analysed
    returns that job's result instead of solving again (coordination/analyses.py).
    """

    region = models.ForeignKey(
        "placements.Region", on_delete=models.CASCADE, related_name="analysis_jobs"
    )
    kind = models.CharField(max_length=10, choices=AnalysisKind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    # sha256 of the region's problem (problem_key), and of it with kind and parameters.
    problem_key = models.CharField(max_length=64)
    state_key = models.CharField(max_length=64)
    # The engine's result for the problem as it is, reused by later jobs of the same problem.
    base_result = StoredJSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.FloatField(default=0.0)
    result = StoredJSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["region", "state_key"], name="analysis_state_key"),
            models.Index(fields=["region", "problem_key"], name="analysis_problem_key"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__gte=0, progress__lte=1), name="analysis_progress_0_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} in {self.region_id} ({self.status})"
