"""One list of supervision kinds: the engine's (coordination/engine/model.py). The models'
choices, the location scope, the import help and the problem file's schema follow it, and
this test fails the moment one of them does not (docs/architecture.md: adding a kind)."""

from __future__ import annotations

import json
from pathlib import Path

from django.utils import translation

from coordination.engine import model as engine_model
from placements.domain import LOCATION_KINDS, SOURCE_KINDS_BY_ORGANISATION, SupervisionKind
from placements.imports.importers import SOURCE_COLUMNS
from placements.models import SupervisionSource

ROOT = Path(__file__).resolve().parents[1]


def test_the_models_know_exactly_the_engines_kinds_in_its_order():
    assert tuple(SupervisionKind.values) == engine_model.SOURCE_KINDS
    field = SupervisionSource._meta.get_field("kind")
    assert [value for value, _label in field.choices] == list(engine_model.SOURCE_KINDS)


def test_location_scope_is_the_engines():
    assert set(LOCATION_KINDS) == set(engine_model.LOCATION_KINDS)


def test_every_kind_belongs_to_exactly_one_kind_of_organisation():
    owners = [k for kinds in SOURCE_KINDS_BY_ORGANISATION.values() for k in kinds]
    assert sorted(owners) == sorted(engine_model.SOURCE_KINDS)


def test_the_problem_files_schema_lists_the_engines_kinds():
    schema = json.loads((ROOT / "docs/schema/problem.schema.json").read_text())
    kinds = schema["$defs"]["source"]["properties"]["kind"]["enum"]
    assert kinds == list(engine_model.SOURCE_KINDS)


def test_the_import_help_names_every_kind_a_care_organisation_may_publish():
    help_text = next(c for c in SOURCE_COLUMNS if c.name == "kind").help
    for kind in SOURCE_KINDS_BY_ORGANISATION["care"]:
        assert kind in help_text


def test_every_kind_has_a_dutch_label():
    with translation.override("nl"):
        dutch = {k: str(label) for k, label in SupervisionKind.choices}
    with translation.override("en"):
        english = {k: str(label) for k, label in SupervisionKind.choices}
    changed = [k for k in dutch if dutch[k] != english[k]]
    # Regionale pool is the same word in both languages.
    assert set(dutch) - set(changed) <= {"regionale_pool"}
