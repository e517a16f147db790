"""manage.py bench_allocation: the engine benchmark, as `python -m coordination.engine bench`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Benchmark the allocation engine on synthetic regions (see docs/benchmarks.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sizes", help="Comma-separated request counts, e.g. 1000,10000")
        parser.add_argument("--seed", help="Generator seed")

    def handle(self, *args: str, **options: Any) -> None:
        from coordination.engine.bench import main

        argv = []
        for name in ("sizes", "seed"):
            if options[name]:
                argv += [f"--{name}", str(options[name])]
        main(argv)
