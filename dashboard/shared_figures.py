"""Figures every session of a territory builds the same way, built once and shared by every
session: a room opening a page at once otherwise rebuilds them once per person. Refreshed like
the queries: at each publish (the warehouse's version) and each day."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable

import plotly.graph_objects as go
import streamlit as st

from dashboard import queries
from dashboard.db import warehouse_version


def freshness() -> tuple[str | None, str]:
    """What shared products depend on besides their arguments, as the queries do: the
    published file and the day (lateness is judged against today)."""
    return warehouse_version(), dt.date.today().isoformat()


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(
    builder: str, query: str, territory_id: str, args: tuple, version: str | None, day: str
) -> go.Figure:
    """One figure object for every session: st.plotly_chart copies it before sending it."""
    module, name = builder.rsplit(".", 1)
    build = getattr(importlib.import_module(module), name)
    return build(getattr(queries, f"load_{query}")(territory_id), *args)


def load_figure(
    builder: Callable[..., go.Figure], query: str, territory_id: str, *args: object
) -> go.Figure:
    """`builder` (a `build_*_figure` of one of dashboard's chart modules) applied to the rows of
    `queries.load_<query>` for the territory, then to `args`."""
    name = f"{builder.__module__}.{builder.__name__}"
    return _figure(name, query, territory_id, args, *freshness())
