"""Action filters that live in the URL, so that a filtered view can be shared by link.

Pure functions over cached frames (no Streamlit here): pages cache the load, not each filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import pandas as pd

from etl.parsing import fold

# Field name -> query parameter (French, readable in a shared link).
PARAMS = {
    "item": "element",
    "statuses": "statut",
    "pilot": "pilote",
    "referent": "elu",
    "theme": "theme",
    "commune": "commune",
    "contract": "contrat",
    "funder": "financeur",
    "late_only": "retard",
    "text": "q",
}
LINK_KINDS = {"theme": "theme", "commune": "commune", "contract": "contrat", "funder": "financeur"}
# (filter field, French label, link kind) of the filters that match on action_links.
LINK_FILTERS = (
    ("theme", "Thématique", "theme"),
    ("commune", "Commune", "commune"),
    ("contract", "Contrat", "contrat"),
    ("funder", "Financeur", "financeur"),
)
NO_PILOT = "(sans pilote)"


@dataclass(frozen=True)
class ActionFilters:
    item: str | None = None  # plan item code, any level: keeps the actions below it
    statuses: tuple[str, ...] = ()
    pilot: str | None = None
    referent: str | None = None
    theme: str | None = None
    commune: str | None = None  # INSEE code
    contract: str | None = None  # contract code
    funder: str | None = None
    late_only: bool = False
    text: str = ""

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> ActionFilters:
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = params.get(PARAMS[field.name])
            if not raw:
                continue
            if field.name == "statuses":
                values[field.name] = tuple(s for s in raw.split(",") if s)
            elif field.name == "late_only":
                values[field.name] = raw in ("1", "oui", "true")
            else:
                values[field.name] = raw
        return cls(**values)

    def to_params(self) -> dict[str, str]:
        params = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "statuses" and value:
                params[PARAMS[field.name]] = ",".join(value)
            elif field.name == "late_only" and value:
                params[PARAMS[field.name]] = "1"
            elif isinstance(value, str) and value:
                params[PARAMS[field.name]] = value
        return params

    @property
    def active(self) -> bool:
        return bool(self.to_params())


def pilot_mask(actions: pd.DataFrame, pilot: str) -> pd.Series:
    """Actions of one pilot service; NO_PILOT selects the actions without one."""
    if pilot == NO_PILOT:
        return actions["pilot_service"].isna()
    return actions["pilot_service"] == pilot


def descendant_items(items: pd.DataFrame, code: str) -> set[str]:
    """item_ids of the item with this code and of everything below it."""
    chosen = items.loc[items["code"] == code, "item_id"]
    if chosen.empty:
        return set()
    children = items.groupby("parent_id")["item_id"].apply(list).to_dict()
    found, todo = set(), [chosen.iloc[0]]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, []))
    return found


def apply_filters(
    actions: pd.DataFrame, items: pd.DataFrame, links: pd.DataFrame, filters: ActionFilters
) -> pd.DataFrame:
    """The actions that match every active filter."""
    keep = pd.Series(True, index=actions.index)
    if filters.item:
        keep &= actions["item_id"].isin(descendant_items(items, filters.item))
    if filters.statuses:
        keep &= actions["status"].isin(filters.statuses)
    if filters.pilot:
        keep &= pilot_mask(actions, filters.pilot)
    if filters.referent:
        keep &= actions["elected_referent"] == filters.referent
    for name, kind in LINK_KINDS.items():
        value = getattr(filters, name)
        if value:
            matching = links.loc[(links["kind"] == kind) & (links["value"] == value), "action_id"]
            keep &= actions["action_id"].isin(set(matching))
    if filters.late_only:
        keep &= actions["is_late"].fillna(False).astype(bool)
    if filters.text.strip():
        needle = fold(filters.text)
        haystack = (
            actions[["code", "title", "description", "pilot_service", "item_title"]]
            .fillna("")
            .astype(str)
            .agg(" ".join, axis=1)
            .map(fold)
        )
        keep &= haystack.str.contains(needle, regex=False)
    return actions[keep]


def link_choices(links: pd.DataFrame, kind: str) -> dict[str, str]:
    """value -> label for one kind of link, sorted by label."""
    subset = links[links["kind"] == kind].drop_duplicates("value").sort_values("label")
    return dict(zip(subset["value"], subset["label"], strict=True))


def calendar_actions(
    actions: pd.DataFrame, root_item: str | None, year: int | None
) -> pd.DataFrame:
    """Dated actions under one first-level item (or all) whose planned period touches `year`."""
    dated = actions.dropna(subset=["planned_start", "planned_end"])
    if root_item:
        dated = dated[dated["root_item_id"] == root_item]
    if year:
        start = pd.to_datetime(dated["planned_start"]).dt.year
        end = pd.to_datetime(dated["planned_end"]).dt.year
        dated = dated[(start <= year) & (end >= year)]
    return dated


def planned_years(actions: pd.DataFrame) -> list[int]:
    dated = actions.dropna(subset=["planned_start", "planned_end"])
    starts = pd.to_datetime(dated["planned_start"]).dt.year
    ends = pd.to_datetime(dated["planned_end"]).dt.year
    return sorted({y for s, e in zip(starts, ends, strict=True) for y in range(s, e + 1)})
