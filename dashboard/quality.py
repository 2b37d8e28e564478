"""Completeness of the plan: what each open action lacks (pure pandas, no Streamlit)."""

from __future__ import annotations

import pandas as pd

# Column of quality.sql -> French label. "stale" uses the same 6 months as the watch list.
CHECKS = {
    "missing_pilot": "Sans service pilote",
    "missing_dates": "Sans date de fin prévue",
    "missing_budget": "Sans budget",
    "missing_funding": "Sans financement",
    "missing_communes": "Sans commune précisée",
    "stale": "Sans suivi depuis 6 mois",
}


def check_counts(quality: pd.DataFrame) -> list[tuple[str, int]]:
    return [(label, int(quality[column].sum())) for column, label in CHECKS.items()]


def build_todo(quality: pd.DataFrame) -> pd.DataFrame:
    """One row per open action missing something, with what to complete, French headers."""
    problems = quality[quality[list(CHECKS)].any(axis=1)].copy()
    problems["todo"] = [
        ", ".join(label for column, label in CHECKS.items() if row[column])
        for row in problems.to_dict("records")
    ]
    return problems.rename(
        columns={
            "code": "Code",
            "title": "Action",
            "root_title": "Premier niveau",
            "status": "Statut",
            "todo": "À compléter",
        }
    )[["Code", "Action", "Premier niveau", "Statut", "À compléter"]]
