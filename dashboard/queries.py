"""Cached loaders: each runs one named query of dashboard/sql with bound parameters."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.db import get_cursor, warehouse_version

SQL_DIR = Path(__file__).parent / "sql"


@cache
def read_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def run_query(name: str, **params: object) -> pd.DataFrame:
    """Uncached: a fresh cursor on the shared read-only connection."""
    cursor = get_cursor()
    try:
        return cursor.execute(read_sql(name), params or None).df()
    finally:
        cursor.close()


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_query(name: str, version: str | None, day: str, params: tuple) -> pd.DataFrame:
    """Refreshes when the warehouse is republished (`version`) and each day (`day`): lateness
    and staleness are computed against today's date."""
    return run_query(name, **dict(params))


def load(name: str, **params: object) -> pd.DataFrame:
    today = dt.date.today().isoformat()
    return _cached_query(name, warehouse_version(), today, tuple(sorted(params.items())))


def load_territories() -> pd.DataFrame:
    return load("territories")


def load_build_info() -> pd.DataFrame:
    return load("build_info")


def load_overview_kpis(territory: str) -> pd.DataFrame:
    return load("overview_kpis", territory=territory)


def load_status_by_root(territory: str) -> pd.DataFrame:
    return load("status_by_root", territory=territory)


def load_actions(territory: str) -> pd.DataFrame:
    return load("actions", territory=territory)


def load_plan_items(territory: str) -> pd.DataFrame:
    return load("plan_items", territory=territory)


def load_funding_by_contract(territory: str) -> pd.DataFrame:
    return load("funding_by_contract", territory=territory)


def load_funding_by_funder(territory: str) -> pd.DataFrame:
    return load("funding_by_funder", territory=territory)


def load_budget_by_year(territory: str) -> pd.DataFrame:
    return load("budget_by_year", territory=territory)


def load_commune_map(territory: str) -> pd.DataFrame:
    return load("commune_map", territory=territory)


def load_commune_actions(territory: str, insee_code: str) -> pd.DataFrame:
    return load("commune_actions", territory=territory, insee_code=insee_code)


def load_population_series(territory: str) -> pd.DataFrame:
    return load("population_series", territory=territory)


def load_territory_figures(territory: str) -> pd.DataFrame:
    return load("territory_figures", territory=territory)


def load_sources(territory: str) -> pd.DataFrame:
    return load("sources", territory=territory)


def load_quality(territory: str) -> pd.DataFrame:
    return load("quality", territory=territory)


def load_action_links(territory: str) -> pd.DataFrame:
    return load("action_links", territory=territory)


def load_action_budget(territory: str, action_id: str) -> pd.DataFrame:
    return load("action_budget", territory=territory, action=action_id)


def load_action_funding(territory: str, action_id: str) -> pd.DataFrame:
    return load("action_funding", territory=territory, action=action_id)


def load_action_followups(territory: str, action_id: str) -> pd.DataFrame:
    return load("action_followups", territory=territory, action=action_id)


def load_funding_flows(territory: str) -> pd.DataFrame:
    return load("funding_flows", territory=territory)


def load_action_leverage(territory: str) -> pd.DataFrame:
    return load("action_leverage", territory=territory)


def load_contract_actions(territory: str, contract_code: str) -> pd.DataFrame:
    return load("contract_actions", territory=territory, contract=contract_code)


def load_portfolio_by_epci(territory: str) -> pd.DataFrame:
    return load("portfolio_by_epci", territory=territory)


def load_portfolio_by_contract_type() -> pd.DataFrame:
    return load("portfolio_by_contract_type")


def load_funding_provenance(territory: str) -> pd.DataFrame:
    return load("funding_provenance", territory=territory)


def load_commune_measures(territory: str) -> pd.DataFrame:
    return load("commune_measures", territory=territory)


def load_epci_population(sirens: tuple[str, ...]) -> pd.DataFrame:
    return load("epci_population", sirens=",".join(sirens))


def load_epci_list() -> pd.DataFrame:
    return load("epci_list")


def load_programme_communes(territory: str) -> pd.DataFrame:
    return load("programme_communes", territory=territory)


def load_territory_insee_values(territory: str) -> pd.DataFrame:
    return load("territory_insee_values", territory=territory)


def load_action_places(territory: str) -> pd.DataFrame:
    return load("action_places", territory=territory)


def load_snapshots(territory: str) -> pd.DataFrame:
    return load("snapshots", territory=territory)


def load_snapshot_actions(territory: str, snapshot: str) -> pd.DataFrame:
    return load("snapshot_actions", territory=territory, snapshot=snapshot)


def load_funding_lines(territory: str) -> pd.DataFrame:
    """Every funding line with its action and contract (report scopes, Excel export)."""
    return load("funding_lines", territory=territory)


def load_budget_lines(territory: str) -> pd.DataFrame:
    """Every budget line with its action (report scopes, Excel export)."""
    return load("budget_lines", territory=territory)


def load_contracts(territory: str) -> pd.DataFrame:
    return load("contracts", territory=territory)


def load_explorer_indicators(territory: str) -> pd.DataFrame:
    return load("explorer_indicators", territory=territory)


def load_explorer_communes(territory: str) -> pd.DataFrame:
    return load("explorer_communes", territory=territory)
