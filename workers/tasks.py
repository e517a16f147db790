"""Celery tasks: thin, each calls one service."""

from __future__ import annotations
