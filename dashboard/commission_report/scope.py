"""What a Rapport de commission covers: the whole plan, one first-level item or one contract."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard import queries
from dashboard.territory import TerritoryNotFound

SCOPE_KINDS = {"plan": "Tout le plan", "element": "Premier niveau du plan", "contrat": "Contrat"}


class ReportError(ValueError):
    """A report that cannot be made (unknown territory or scope), with a French message."""


# An unknown territory is a report error too (the CLI answers both the same way).
REPORT_ERRORS = (ReportError, TerritoryNotFound)


@dataclass(frozen=True)
class ReportScope:
    kind: str = "plan"  # "plan", "element" (code of a first-level item) or "contrat" (code)
    code: str | None = None

    @classmethod
    def parse(cls, text: str) -> ReportScope:
        """'plan', 'element:<code>' or 'contrat:<code>' (the CLI's --perimetre)."""
        kind, _, code = text.strip().partition(":")
        if kind not in SCOPE_KINDS or (kind == "plan") != (not code):
            raise ReportError(
                f"Périmètre « {text} » incompris : écrivez plan, element:<code du premier "
                "niveau> ou contrat:<code du contrat>."
            )
        return cls(kind, code or None)

    def __str__(self) -> str:
        return self.kind if self.code is None else f"{self.kind}:{self.code}"


def scope_choices(territory_id: str) -> dict[str, str]:
    """Scope (as text) -> French label: the whole plan, each first-level item, each contract."""
    items = queries.load_plan_items(territory_id)
    roots = items[items["parent_id"].isna()]
    choices = {"plan": SCOPE_KINDS["plan"]}
    for row in roots.itertuples():
        choices[f"element:{row.code}"] = f"{row.level.capitalize()} {row.code} — {row.title}"
    for row in queries.load_contracts(territory_id).itertuples():
        choices[f"contrat:{row.code}"] = f"Contrat — {row.name}"
    return choices


def select_scope(
    scope: ReportScope,
    items: pd.DataFrame,
    actions: pd.DataFrame,
    funding: pd.DataFrame,
    budget: pd.DataFrame,
    contracts: pd.DataFrame,
) -> tuple[str, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(label, actions, funding lines, budget lines) of the scope."""
    if scope.kind == "plan":
        return SCOPE_KINDS["plan"], actions, funding, budget
    if scope.kind == "element":
        root = items[(items["code"] == scope.code) & items["parent_id"].isna()]
        if root.empty:
            codes = ", ".join(items.loc[items["parent_id"].isna(), "code"])
            raise ReportError(
                f"Aucun élément de premier niveau de code « {scope.code} » (codes : {codes})."
            )
        item = root.iloc[0]
        label = f"{item['level'].capitalize()} {item['code']} — {item['title']}"
        chosen = actions[actions["root_item_id"] == item["item_id"]]
        ids = set(chosen["action_id"])
        return label, chosen, funding[funding["action_id"].isin(ids)], _budget_of(budget, ids)
    contract = contracts[contracts["code"] == scope.code]
    if contract.empty:
        codes = ", ".join(contracts["code"]) or "aucun"
        raise ReportError(f"Aucun contrat de code « {scope.code} » (codes : {codes}).")
    lines = funding[funding["contract_code"] == scope.code]
    ids = set(lines["action_id"])
    chosen = actions[actions["action_id"].isin(ids)]
    return f"Contrat — {contract.iloc[0]['name']}", chosen, lines, _budget_of(budget, ids)


def _budget_of(budget: pd.DataFrame, action_ids: set[str]) -> pd.DataFrame:
    return budget[budget["action_id"].isin(action_ids)]


def scope_for_item(items: pd.DataFrame, code: str | None) -> ReportScope:
    """The first-level item above the plan item `code` (any level), or the whole plan."""
    chosen = items[items["code"] == code] if code else items.iloc[0:0]
    if chosen.empty:
        return ReportScope()
    root = items[items["item_id"] == chosen.iloc[0]["root_id"]]
    return ReportScope("element", root.iloc[0]["code"]) if not root.empty else ReportScope()
