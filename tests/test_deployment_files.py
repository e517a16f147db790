"""The deployment files agree with each other: what .env.example asks for is what
docker-compose.yml reads, and every process the Procfile runs is a compose service."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_env_example_names_exactly_the_variables_compose_reads():
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    compose = (ROOT / "docker-compose.yml").read_text()
    read = set(re.findall(r"\$\{([A-Z_]+)", compose))

    assert example == read


def test_every_procfile_process_has_a_compose_service():
    procfile = {
        line.split(":", 1)[0]
        for line in (ROOT / "Procfile").read_text().splitlines()
        if line.strip()
    }
    services = set(yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"])

    assert procfile <= services
    assert {"analysis", "allocation", "worker", "beat", "web"} <= procfile


def test_the_image_holds_every_app_the_settings_install():
    import tomllib

    from django.conf import settings

    dockerfile = (ROOT / "Dockerfile").read_text()
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    ours = {app for app in settings.INSTALLED_APPS if (ROOT / app).is_dir()}
    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "packages"
    ]["find"]["include"]

    assert ours | {"config"} <= copied
    assert {f"{app}*" for app in ours | {"config"}} <= set(packaged)
