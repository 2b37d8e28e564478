"""The screens of the commission (projector) mode: pure pandas, no Streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


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
