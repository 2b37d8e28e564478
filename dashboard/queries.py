"""Cached loaders: each runs one named query of dashboard/sql with bound parameters."""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import changes, kpis
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


def load_status_by_root(territory_id: str) -> pd.DataFrame:
    """Actions per first-level item and status: dashboard.kpis's one definition."""
    return kpis.build_status_by_item(
        load_actions(territory_id), load_plan_items(territory_id), depth=1
    )


def load_actions(territory_id: str) -> pd.DataFrame:
    return load("actions", territory=territory_id)


def load_plan_items(territory_id: str) -> pd.DataFrame:
    return load("plan_items", territory=territory_id)


def load_funding_by_contract(territory_id: str) -> pd.DataFrame:
    return load("funding_by_contract", territory=territory_id)


def load_funding_by_funder(territory_id: str) -> pd.DataFrame:
    return load("funding_by_funder", territory=territory_id)


def load_budget_by_year(territory_id: str) -> pd.DataFrame:
    return load("budget_by_year", territory=territory_id)


def load_commune_map(territory_id: str) -> pd.DataFrame:
    return load("commune_map", territory=territory_id)


def load_commune_actions(territory_id: str, insee_code: str) -> pd.DataFrame:
    return load("commune_actions", territory=territory_id, insee_code=insee_code)


def load_population_series(territory_id: str) -> pd.DataFrame:
    return load("population_series", territory=territory_id)


def load_territory_figures(territory_id: str) -> pd.DataFrame:
    return load("territory_figures", territory=territory_id)


def load_sources(territory_id: str) -> pd.DataFrame:
    return load("sources", territory=territory_id)


def load_quality(territory_id: str) -> pd.DataFrame:
    return load("quality", territory=territory_id)


def load_action_links(territory_id: str) -> pd.DataFrame:
    return load("action_links", territory=territory_id)


def load_action_budget(territory_id: str, action_id: str) -> pd.DataFrame:
    return load("action_budget", territory=territory_id, action=action_id)


def load_action_funding(territory_id: str, action_id: str) -> pd.DataFrame:
    return load("action_funding", territory=territory_id, action=action_id)


def load_action_followups(territory_id: str, action_id: str) -> pd.DataFrame:
    return load("action_followups", territory=territory_id, action=action_id)


def load_action_history(territory_id: str, action_id: str) -> pd.DataFrame:
    """Who changed what, when, in one action (table action_history)."""
    return load("action_history", territory=territory_id, action=action_id)


def load_territory_history(territory_id: str) -> pd.DataFrame:
    return load("territory_history", territory=territory_id)


def load_action_communes(territory_id: str, action_id: str) -> pd.DataFrame:
    """The communes one action names, with the measures of the communes map."""
    links = load_action_links(territory_id)
    named = links[(links["kind"] == "commune") & (links["action_id"] == action_id)]
    communes = load_commune_map(territory_id)
    return communes[communes["insee_code"].isin(set(named["value"]))]


def load_funding_flows(territory_id: str) -> pd.DataFrame:
    return load("funding_flows", territory=territory_id)


def load_action_leverage(territory_id: str) -> pd.DataFrame:
    return load("action_leverage", territory=territory_id)


def load_contract_actions(territory_id: str, contract_code: str) -> pd.DataFrame:
    return load("contract_actions", territory=territory_id, contract=contract_code)


def load_portfolio_by_epci(territory_id: str) -> pd.DataFrame:
    return load("portfolio_by_epci", territory=territory_id)


def load_portfolio_by_contract_type() -> pd.DataFrame:
    return load("portfolio_by_contract_type")


def load_provenance_summary(territory_id: str) -> pd.DataFrame:
    return load("provenance_summary", territory=territory_id)


def load_funding_provenance(territory_id: str) -> pd.DataFrame:
    return load("funding_provenance", territory=territory_id)


def load_commune_measures(territory_id: str) -> pd.DataFrame:
    return load("commune_measures", territory=territory_id)


def load_epci_population(sirens: tuple[str, ...]) -> pd.DataFrame:
    return load("epci_population", sirens=",".join(sirens))


def load_epci_list() -> pd.DataFrame:
    return load("epci_list")


def load_programme_communes(territory_id: str) -> pd.DataFrame:
    return load("programme_communes", territory=territory_id)


def load_territory_insee_values(territory_id: str) -> pd.DataFrame:
    return load("territory_insee_values", territory=territory_id)


def load_action_places(territory_id: str) -> pd.DataFrame:
    return load("action_places", territory=territory_id)


def load_snapshots(territory_id: str) -> pd.DataFrame:
    return load("snapshots", territory=territory_id)


def load_snapshot_actions(territory_id: str, snapshot: str) -> pd.DataFrame:
    return load("snapshot_actions", territory=territory_id, snapshot=snapshot)


def load_change_list(territory_id: str, before: str, after: str) -> pd.DataFrame:
    """What changed from snapshot `before` to snapshot `after` (dashboard.changes)."""
    found = changes.build_change_list(
        load_snapshot_actions(territory_id, before), load_snapshot_actions(territory_id, after)
    )
    snapshots = load_snapshots(territory_id).set_index("snapshot_id")
    return changes.attach_authors(
        found,
        load_territory_history(territory_id),
        snapshots.loc[before, "taken_at"] if before in snapshots.index else None,
        snapshots.loc[after, "taken_at"] if after in snapshots.index else None,
    )


def load_funding_lines(territory_id: str) -> pd.DataFrame:
    """Every funding line with its action and contract (report scopes, Excel export)."""
    return load("funding_lines", territory=territory_id)


def load_budget_lines(territory_id: str) -> pd.DataFrame:
    """Every budget line with its action (report scopes, Excel export)."""
    return load("budget_lines", territory=territory_id)


def load_contracts(territory_id: str) -> pd.DataFrame:
    return load("contracts", territory=territory_id)


def load_explorer_indicators(territory_id: str) -> pd.DataFrame:
    return load("explorer_indicators", territory=territory_id)


def load_explorer_communes(territory_id: str) -> pd.DataFrame:
    return load("explorer_communes", territory=territory_id)


def load_explorer_results(territory_id: str) -> pd.DataFrame:
    """Measured values of the result indicators (the Explorateur's dataset)."""
    from dashboard import results  # it reads this module's loaders

    return results.load_explorer_results(territory_id)
