"""Settings helpers read the environment strictly: a typo fails at start-up, not later."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str


@pytest.mark.parametrize("raw", ["maybe", "ja", "2", "truee"])
def test_env_bool_refuses_a_value_that_is_not_a_boolean(monkeypatch, raw):
    monkeypatch.setenv("LEERPLEK_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="LEERPLEK_TEST_FLAG"):
        env_bool("LEERPLEK_TEST_FLAG", default=False)


@pytest.mark.parametrize(
    "raw, expected",
    [("1", True), ("true", True), (" Yes ", True), ("on", True), ("0", False), ("off", False)],
)
def test_env_bool_reads_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("LEERPLEK_TEST_FLAG", raw)
    assert env_bool("LEERPLEK_TEST_FLAG", default=not expected) is expected


def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch):
    monkeypatch.delenv("LEERPLEK_TEST_FLAG", raising=False)
    assert env_bool("LEERPLEK_TEST_FLAG", default=True) is True
    assert env_bool("LEERPLEK_TEST_FLAG", default=False) is False


@pytest.mark.parametrize("raw", ["x", "1.5", "10 workers"])
def test_env_int_refuses_a_value_that_is_not_an_integer(monkeypatch, raw):
    monkeypatch.setenv("LEERPLEK_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="LEERPLEK_TEST_INT"):
        env_int("LEERPLEK_TEST_INT", 3)


def test_env_int_reads_a_number_and_defaults_when_unset_or_blank(monkeypatch):
    monkeypatch.setenv("LEERPLEK_TEST_INT", "42")
    assert env_int("LEERPLEK_TEST_INT", 3) == 42
    monkeypatch.setenv("LEERPLEK_TEST_INT", "")
    assert env_int("LEERPLEK_TEST_INT", 3) == 3
    monkeypatch.delenv("LEERPLEK_TEST_INT")
    assert env_int("LEERPLEK_TEST_INT", 3) == 3


def test_env_list_and_str(monkeypatch):
    monkeypatch.setenv("LEERPLEK_TEST_HOSTS", " a.example , b.example,, ")
    assert env_list("LEERPLEK_TEST_HOSTS", ["x"]) == ["a.example", "b.example"]
    monkeypatch.delenv("LEERPLEK_TEST_HOSTS")
    assert env_list("LEERPLEK_TEST_HOSTS", ["x"]) == ["x"]
    assert env_str("LEERPLEK_TEST_HOSTS", "fallback") == "fallback"
