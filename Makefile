.PHONY: run test lint format bench lock

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
	.venv/bin/python -m coordination.engine bench

# Re-pin the transitive dependencies after changing pyproject.toml.
lock:
	.venv/bin/pip freeze --exclude-editable | grep -v '^leerplek' > constraints.txt
