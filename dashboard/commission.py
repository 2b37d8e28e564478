"""The screens of the commission (projector) mode: pure pandas, no Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import report

# Large, high-contrast rendering for a room: read at three metres, printed in black and white.
PROJECTOR_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stHeader"], [data-testid="stToolbar"] { display: none !important; }
.block-container { padding-top: 1.2rem !important; max-width: 100% !important; }
.stApp, .stMarkdown p, .stMarkdown li { color: #000 !important; font-size: 1.45rem !important; }
h1 { font-size: 3.1rem !important; line-height: 1.15 !important; color: #0b1f4d !important; }
h2 { font-size: 2.3rem !important; color: #0b1f4d !important; }
h3 { font-size: 1.9rem !important; }
[data-testid="stMetricValue"] { font-size: 3.4rem !important; font-weight: 700 !important; }
[data-testid="stMetricLabel"] p { font-size: 1.45rem !important; color: #000 !important; }
[data-testid="stMetric"] { border: 2px solid #0b1f4d !important; }
[data-testid="stCaptionContainer"] p { font-size: 1.2rem !important; color: #222 !important; }
.stButton button p, .stLinkButton a p { font-size: 1.35rem !important; }
[data-testid="stSelectbox"] div[data-baseweb="select"] div { font-size: 1.2rem !important; }
[data-testid="stTable"] td, [data-testid="stTable"] th { font-size: 1.3rem !important; }
@media print {
  .stButton, [data-testid="stSelectbox"] { display: none !important; }
}
</style>
"""


@dataclass(frozen=True)
class Screen:
    """One screen of the commission mode: kind is summary, item, contract or changes."""

    kind: str
    key: str | None
    title: str


def build_screens(items: pd.DataFrame, contracts: pd.DataFrame, has_changes: bool) -> list[Screen]:
    """Synthèse, then one screen per first-level item, per contract, then the changes."""
    screens = [Screen("summary", None, "Synthèse")]
    roots = items[items["depth"] == 1].sort_values("sort_order")
    screens += [
        Screen("item", row.item_id, f"{row.level.capitalize()} {row.code} — {row.title}")
        for row in roots.itertuples()
    ]
    named = contracts[contracts["code"].notna()]
    screens += [
        Screen("contract", row.code, f"Contrat — {row.contract}") for row in named.itertuples()
    ]
    if has_changes:
        screens.append(Screen("changes", None, "Ce qui a changé depuis le dernier instantané"))
    return screens


# The overview's figures an elected official reads first (the report computes them all).
SCREEN_KPIS = (
    "Actions",
    "Réalisées",
    "En cours",
    "En retard",
    "Avancement moyen",
    "Dépenses prévues",
    "Financements accordés",
    "En pause / bloquées",
)


def build_scope_kpis(actions: pd.DataFrame) -> list[tuple[str, str, str | None]]:
    """SCREEN_KPIS for any set of actions (rows of the actions query), as the report has them."""
    funding = actions[["funding_requested", "funding_granted", "funding_received"]]
    funding = funding.rename(columns=lambda column: column.removeprefix("funding_"))
    items = dict(report.build_kpi_items(report.build_scope_kpis(actions, funding), True))
    return [(label, items[label], None) for label in SCREEN_KPIS]


def build_child_status(actions: pd.DataFrame, items: pd.DataFrame, root_id: str) -> pd.DataFrame:
    """Actions of one first-level item counted by second-level item and status, in the shape of
    the status_by_root query (so the same chart draws it)."""
    parents = dict(zip(items["item_id"], items["parent_id"], strict=True))
    depth = dict(zip(items["item_id"], items["depth"], strict=True))

    def second_level(item_id: str) -> str:
        while depth.get(item_id, 1) > 2:
            item_id = parents[item_id]
        return item_id

    scoped = actions[actions["root_item_id"] == root_id].copy()
    scoped["child_id"] = scoped["item_id"].map(second_level)
    counts = (
        scoped.groupby(["child_id", "status"])
        .agg(n_actions=("action_id", "size"), n_late=("is_late", "sum"))
        .reset_index()
    )
    children = items.set_index("item_id")[["code", "title", "level", "sort_order"]]
    frame = counts.join(children, on="child_id").rename(columns={"child_id": "item_id"})
    return frame.sort_values(["sort_order", "status"]).reset_index(drop=True)


def late_actions(actions: pd.DataFrame, limit: int = 8) -> pd.DataFrame:
    """The most late actions first: what a commission must discuss."""
    late = actions[actions["is_late"]]
    return late.sort_values("days_late", ascending=False).head(limit)


# What a commission discusses first; progress updates are counted but not listed.
NOTABLE_CHANGES = ("finished", "started", "slipped", "new_funding", "added", "removed", "status")


def notable_changes(found: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
    """The first `limit` notable changes, most significant kinds first."""
    rank = {kind: i for i, kind in enumerate(NOTABLE_CHANGES)}
    notable = found[found["kind"].isin(rank)]
    return notable.sort_values("kind", key=lambda kinds: kinds.map(rank), kind="stable").head(limit)
