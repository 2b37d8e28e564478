"""Everything a Rapport de commission shows, read and restricted to its scope (no Streamlit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from dashboard import changes, kpis, queries, results, summaries, tables, watchlist
from dashboard.commission_report.scope import ReportScope, select_scope
from dashboard.territory import Territory

LATE_COLUMNS = [
    c
    for c in tables.ACTION_COLUMNS
    if c[0] in ("code", "title", "status", "progress", "planned_end", "pilot_service")
]
LATE_COLUMNS.insert(4, ("days_late", "Jours de retard", "number"))
LATE_COLUMNS.append(("is_demo", "Données", "demo"))
# % of the A4 text width: the action's title wide enough for three or four lines, the other
# columns wide enough for their longest word (« développement »), never cut in the middle
# (templates/report/report.css, table.late; tests/test_report.py measures it).
LATE_WIDTHS = {
    "code": 11.5,
    "title": 34,
    "status": 8,
    "progress": 8.5,
    "days_late": 7,
    "planned_end": 9.5,
    "pilot_service": 14,
    "is_demo": 7.5,
    "provenance": 7.5,
}
REPORT_FUNDING_COLUMNS = [
    ("contract", "Contrat", "text"),
    ("funder", "Financeur", "text"),
    ("funder_type", "Type", "text"),
    ("n_actions", "Actions", "number"),
    ("requested", "Demandé (€)", "euros"),
    ("granted", "Accordé (€)", "euros"),
    ("received", "Versé (€)", "euros"),
    ("is_demo", "Données", "demo"),
]


@dataclass
class ReportData:
    """Everything the report shows, already restricted to its scope."""

    territory: Territory
    scope: ReportScope
    scope_label: str
    today: dt.date
    built_at: object
    items: pd.DataFrame
    actions: pd.DataFrame
    funding: pd.DataFrame
    budget: pd.DataFrame
    kpis: pd.Series
    late: pd.DataFrame
    changes: pd.DataFrame | None  # None: no previous snapshot to compare with
    changes_since: str | None  # the previous snapshot, in French
    provenance_notice: str | None  # where the values come from (summaries)
    results: pd.DataFrame | None = None  # result indicators of the scope (dashboard.results)
    weather: list | None = None  # (first-level item, météo, latest comments)


def build_funder_totals(funding: pd.DataFrame) -> pd.DataFrame:
    """Funding lines summed by funder type (what build_funding_by_funder_figure reads)."""
    return funding.groupby("funder_type", as_index=False)[["requested", "granted", "received"]].sum(
        min_count=1
    )


def build_funding_table(funding: pd.DataFrame) -> pd.DataFrame:
    """Funding lines summed by contract and funder, largest granted first, with a total row."""
    if funding.empty:
        return pd.DataFrame(columns=[c for c, _, _ in REPORT_FUNDING_COLUMNS])
    table = (
        funding.groupby(["contract", "funder", "funder_type"], as_index=False, dropna=False)
        .agg(
            n_actions=("action_id", "nunique"),
            requested=("requested", lambda s: s.sum(min_count=1)),
            granted=("granted", lambda s: s.sum(min_count=1)),
            received=("received", lambda s: s.sum(min_count=1)),
            is_demo=("is_demo", "any"),
        )
        .sort_values(["granted", "contract"], ascending=[False, True], na_position="last")
    )
    total = {
        "contract": "Total",
        "funder": "",
        "funder_type": "",
        "n_actions": funding["action_id"].nunique(),
        "requested": funding["requested"].sum(min_count=1),
        "granted": funding["granted"].sum(min_count=1),
        "received": funding["received"].sum(min_count=1),
        "is_demo": bool(funding["is_demo"].any()),
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def load_changes(
    territory: Territory, scope_ids: set[str], root_item_id: str | None
) -> tuple[pd.DataFrame | None, str | None]:
    """Changes between the previous and the latest snapshot that concern the scope, and the
    previous snapshot's French label; (None, None) when there is no previous snapshot.

    An action removed since is in a pilier's scope when it was under that pilier; a contract's
    scope only knows the actions it funds now."""
    territory_id = territory.territory_id
    previous, latest = changes.previous_and_latest(queries.load_snapshots(territory_id))
    if previous is None:
        return None, None
    before = queries.load_snapshot_actions(territory_id, previous["snapshot_id"])
    after = queries.load_snapshot_actions(territory_id, latest["snapshot_id"])
    found = queries.load_change_list(territory_id, previous["snapshot_id"], latest["snapshot_id"])
    if root_item_id is not None:
        both = pd.concat([before, after])
        scope_ids = scope_ids | set(both.loc[both["root_item_id"] == root_item_id, "action_id"])
    return found[found["action_id"].isin(scope_ids)], changes.describe_snapshot(previous)


def build_report_data(
    territory: Territory, scope: ReportScope, today: dt.date | None = None
) -> ReportData:
    """Load and restrict everything the report shows (raises ReportError in French)."""
    territory_id = territory.territory_id
    today = today or dt.date.today()
    items = queries.load_plan_items(territory_id)
    label, actions, funding, budget = select_scope(
        scope,
        items,
        queries.load_actions(territory_id),
        queries.load_funding_lines(territory_id),
        queries.load_budget_lines(territory_id),
        queries.load_contracts(territory_id),
    )
    roots = items[(items["code"] == scope.code) & items["parent_id"].isna()]
    root_id = roots["item_id"].iloc[0] if scope.kind == "element" else None
    found, since = load_changes(territory, set(actions["action_id"]), root_id)
    watch = watchlist.build_watchlist(actions, today)
    indicators, weather = results.scope_results(
        territory_id, root_id, set(actions["action_id"]) if scope.kind == "contrat" else None
    )
    info = queries.load_build_info()
    return ReportData(
        territory=territory,
        scope=scope,
        scope_label=label,
        today=today,
        built_at=info["built_at"].iloc[0] if not info.empty else None,
        items=items,
        actions=actions,
        funding=funding,
        budget=budget,
        kpis=kpis.build_kpis(actions, funding),
        late=watch[watch["reason"] == "En retard"],
        changes=found,
        changes_since=since,
        provenance_notice=summaries.build_provenance_notice(
            queries.load_provenance_summary(territory_id), territory.source_document
        ),
        results=indicators,
        weather=weather,
    )
