from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from coordination.engine import problem_to_json, result_from_json

from .helpers import plek, problem, req, src

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coordination.engine", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_solve_and_check_a_problem_file(tmp_path: Path) -> None:
    p = problem([req(1), req(2), req(3)], [plek(10, seats=2)], [src(100, hours=8.0)])
    pf = tmp_path / "problem.json"
    rf = tmp_path / "result.json"
    pf.write_text(problem_to_json(p))
    out = run("solve", str(pf), "-o", str(rf))
    assert out.returncode == 0, out.stderr
    res = result_from_json(rf.read_text())
    assert len(res.assignments) == 2
    assert [u.reason for u in res.unplaced] == ["seats_full"]
    assert "placed 2 of 3" in out.stderr
    ok = run("check", str(pf), str(rf))
    assert ok.returncode == 0 and "0 violation(s)" in ok.stderr


def test_check_reports_an_infeasible_result(tmp_path: Path) -> None:
    p = problem([req(1), req(2)], [plek(10)], [src(100, hours=8.0)])
    pf = tmp_path / "problem.json"
    rf = tmp_path / "result.json"
    pf.write_text(problem_to_json(p))
    d = [{"source_id": 100, "load_hours": 2.0, "source_hours": 2.0}]
    doc = {
        "format": "leerplek-allocation-result",
        "version": 1,
        "assignments": [
            {"request_id": 1, "plek_id": 10, "draws": d},
            {"request_id": 2, "plek_id": 10, "draws": d},
        ],
        "unplaced": [],
        "objective": {"placed": 2, "placed_weighted": 2},
        "upper_bound": 2,
        "gap": 0,
    }
    rf.write_text(json.dumps(doc))
    out = run("check", str(pf), str(rf))
    assert out.returncode == 1
    assert [json.loads(x)["code"] for x in out.stdout.splitlines()] == ["seats"]


def test_bench_scenarios_runs_on_a_problem_file_and_repeats_identically(tmp_path: Path) -> None:
    p = problem(
        [req(1), req(2), req(3, doelgroep="eerstejaars")],
        [plek(10, seats=3)],
        [src(100, hours=4.0), src(101, "regionale_pool", 2.0)],
    )
    pf = tmp_path / "problem.json"
    pf.write_text(problem_to_json(p))
    out = run("bench-scenarios", "--problem", str(pf), "--repeat", "2")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "repeats identical: True" in out.stdout
    assert out.stdout.count("violations 0") == 6  # base and two scenarios, twice
    assert out.stdout.startswith("load average before:")
    assert "load average after:" in out.stdout


def test_solve_a_demo_region_with_the_exact_polish(tmp_path: Path) -> None:
    from .helpers import load_demo

    pf = tmp_path / "problem.json"
    pf.write_text(problem_to_json(load_demo("gooi-en-vechtstreek")))
    out = run("solve", str(pf), "-o", str(tmp_path / "r.json"))  # polished by default here
    assert out.returncode == 0, out.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["stats"]["lp"]["polish"]["status"] == "Optimal"
    assert "gap 0.00%" in out.stderr  # on this region the polish reaches the bound
    assert "at their first choice" in out.stderr
    out = run("solve", str(pf), "-o", str(tmp_path / "r0.json"), "--polish-max-pairs", "0")
    assert out.returncode == 0, out.stderr
    assert "polish" not in json.loads((tmp_path / "r0.json").read_text())["stats"]["lp"]
    assert "gap 0.00%" not in out.stderr
