from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = "Coordination"

    def ready(self) -> None:
        from coordination import triggers
        from events import outbox

        # Changes that ask for a run mark their region in their own transaction.
        outbox.on_record(triggers.runs_for_events)
