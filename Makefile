.PHONY: run test lint format bench bench-events lock

# Set up and run the service (web, worker, beat); embedded defaults without DATABASE_URL/REDIS_URL.
run:
	./scripts/run

# The whole test suite against real PostgreSQL and Redis (started or installed as needed).
test:
	./scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

# Long benchmarks, kept out of the test suite. Figures go to docs/benchmarks.md.
bench:
	.venv/bin/python -m coordination.engine bench --sizes 1000,10000,100000 --seed 1

bench-events:
	.venv/bin/python -m tests.benchmarks.load_events --rate 20 --duration 20 --listeners 500

# Re-pin the transitive dependencies after changing pyproject.toml.
lock:
	.venv/bin/pip freeze --exclude-editable | grep -v '^leerplek' > constraints.txt
