"""Every error message a user can read is a sentence.

Two nets: the source's message templates (every string given to the exceptions and error
records that reach a user, found by reading the code), and the answers of the running API
to a battery of bad requests. A sentence starts with a capital (or a value, like an id) and
ends with a full stop, and carries no Python or framework jargon.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["core", "events", "placements", "coordination", "notifications", "workers", "config"]

# Callables whose message argument a user reads, and which positional argument it is.
MESSAGE_ARGUMENT = {
    "FieldError": 2,
    "single": 2,  # DomainValidationError.single(path, code, message)
    "InvalidTransition": 0,
    "NotPermitted": 0,
    "ValidationError": 0,
    "CommandError": 0,
    "CellError": 1,
    "FileRejected": 1,
    "InvalidEngineResult": None,  # wrapped into a sentence by describe_failure
    "ImportNotAllowed": 0,
    "refuse": 1,  # a WebSocket refusal's detail
}
JARGON = re.compile(r"\bpk\b|object does not exist|Object with|Traceback|None\b|repr\(")
VALUE = "17"  # what a formatted value stands for when a template is read


def _template(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else VALUE for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left), _template(node.right)
        return None if left is None or right is None else left + right
    return None


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def message_templates() -> list[tuple[str, str]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts or "engine" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                index = MESSAGE_ARGUMENT.get(_call_name(node) or "")
                if index is None or len(node.args) <= index:
                    continue
                text = _template(node.args[index])
                if text is not None:
                    found.append((f"{path.relative_to(ROOT)}:{node.lineno}", text))
    return found


def is_sentence(text: str) -> bool:
    text = text.strip()
    if text.endswith(f". {VALUE}"):  # a template that appends another sentence
        text = text[: -len(VALUE) - 1]
    return (
        bool(text)
        and (text[0].isupper() or text[0].isdigit() or text[0] in "\"'`(")
        and text[-1] in ".?"
        and not JARGON.search(text)
    )


def test_the_scan_finds_the_messages_it_is_meant_to_check():
    templates = dict(message_templates())
    assert len(templates) > 50  # the services, imports, API and commands
    assert any(t == "Only a school submits requests." for t in templates.values())


@pytest.mark.parametrize(("where", "text"), message_templates())
def test_every_message_template_is_a_sentence(where, text):
    assert is_sentence(text), f"{where}: {text!r}"


def test_sentences_are_told_from_fragments():
    assert is_sentence("There is no location 17 that you can use here.")
    assert not is_sentence("A accepted placement cannot become accepted")
    assert not is_sentence('Invalid pk "17" - object does not exist.')
    assert not is_sentence("Object with code=1234 does not exist.")
    assert not is_sentence("not authenticated")


def _messages(body) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


def test_the_apis_answers_to_bad_requests_are_sentences(client_for, world):
    from tests import factories

    location = factories.LocationFactory(organisation=world.care)
    opleiding = factories.OpleidingFactory()
    plek = factories.PlekFactory(location=location, opleidingen=[opleiding])
    placement = factories.PlacementFactory(
        plek=plek,
        request=factories.PlacementRequestFactory(school=world.school, opleiding=opleiding),
        status="accepted",
    )
    alice, carol = client_for("alice"), client_for("carol")
    request = {
        "student_pseudonym": "s-1",
        "student_name": "Sam",
        "home_postcode": "1234",
        "opleiding": 999999,
        "doelgroep": "eerstejaars",
        "start_date": "2026-09-07",
        "end_date": "2026-09-01",
        "hours_per_week": "abc",
        "max_travel_km": 20,
    }
    answers = [
        alice.post("/api/v1/requests/", request),
        alice.post("/api/v1/requests/", {}),
        alice.post("/api/v1/requests/", {**request, "status": "confirmed"}),
        carol.post(f"/api/v1/placements/{placement.pk}/accept/"),
        alice.post(f"/api/v1/placements/{placement.pk}/accept/"),
        carol.post("/api/v1/plekken/", {"location": 999999, "opleidingen": ["x"]}),
        carol.post("/api/v1/sources/", {"kind": "werkbegeleider", "location": "abc"}),
        client_for("frank").post(f"/api/v1/allocation-problems/{world.region.pk}/runs/"),
    ]

    messages = [m for answer in answers for m in _messages(answer.json())]

    assert all(answer.status_code >= 400 for answer in answers)
    assert len(messages) >= 10
    assert [m for m in messages if not is_sentence(m)] == []
    assert (
        "Postcode area 1234 is not known to Leerplek. Check the four digits; if they are "
        "right, ask your regional coordinator to add the area." in messages
    )
    assert "There is no opleiding 999999 that you can use here." in messages
    assert "This placement is already accepted." in messages
