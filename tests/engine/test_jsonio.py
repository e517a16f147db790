from __future__ import annotations

import json
from pathlib import Path

import pytest

from coordination.engine import (
    problem_from_json,
    problem_to_json,
    result_from_json,
    result_to_json,
    solve,
)
from coordination.engine.model import ExistingPlacement
from coordination.engine.synth import generate

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema"


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    p = generate(150, seed=3)
    first = p.requests[0]
    p = type(p)(
        p.region_id,
        p.settings,
        p.requests,
        p.plekken,
        p.sources,
        (ExistingPlacement(first.id, p.plekken[0].id, False),),
    )
    return p, solve(p, bound=False)


def test_problem_round_trip(small):  # type: ignore[no-untyped-def]
    p, _ = small
    again = problem_from_json(problem_to_json(p))
    assert again == p


def test_result_round_trip(small):  # type: ignore[no-untyped-def]
    _, r = small
    again = result_from_json(result_to_json(r))
    assert again.assignments == r.assignments
    assert again.unplaced == r.unplaced
    assert again.upper_bound == r.upper_bound
    assert again.objective == r.objective


def test_documents_match_the_published_schema(small):  # type: ignore[no-untyped-def]
    jsonschema = pytest.importorskip("jsonschema")
    p, r = small
    for name, doc in (
        ("problem.schema.json", json.loads(problem_to_json(p))),
        ("result.schema.json", json.loads(result_to_json(r))),
    ):
        schema = json.loads((SCHEMA / name).read_text())
        jsonschema.validate(doc, schema)
        broken = dict(doc)
        broken.pop(next(k for k in schema["required"] if k not in ("format", "version")))
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)


def test_wrong_format_is_refused():
    with pytest.raises(ValueError):
        problem_from_json(json.dumps({"format": "something-else"}))
