from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        from coordination import triggers
        from events import outbox
        from workers import tasks

        # The lower layers announce; the tasks that act on it are enqueued from here.
        triggers.on_allocation_requested(tasks.enqueue_allocation)
        outbox.after_commit(tasks.enqueue_for_events)
