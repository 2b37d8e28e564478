"""Completeness and freshness of the plan: what each open action lacks, scored per action, per
pilot and per first-level item (pure pandas, no Streamlit)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import watchlist

# Column of `with_checks` -> French label. "stale" is the watch list's rule (N months, one place).
CHECKS = {
    "missing_pilot": "Sans service pilote",
    "missing_dates": "Sans date de fin prévue",
    "missing_budget": "Sans budget",
    "missing_funding": "Sans financement",
    "missing_communes": "Sans commune précisée",
    "stale": watchlist.STALE_REASON,
}
NO_PILOT = "(sans service pilote)"
GROUPS = {"pilot_service": "Service pilote", "root_title": "Premier niveau"}


def with_checks(quality: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """quality.sql's rows plus `stale` and a completeness score (share of checks met, 0-100)."""
    checked = quality.assign(stale=watchlist.is_stale(quality["last_note_date"], today))
    checked["score"] = 100 * (1 - checked[list(CHECKS)].astype(float).mean(axis=1))
    return checked


def check_counts(checked: pd.DataFrame) -> list[tuple[str, int]]:
    return [(label, int(checked[column].sum())) for column, label in CHECKS.items()]


def build_todo(checked: pd.DataFrame) -> pd.DataFrame:
    """One row per open action missing something, least complete first, French headers."""
    problems = checked[checked[list(CHECKS)].any(axis=1)].copy()
    problems["todo"] = [
        ", ".join(label for column, label in CHECKS.items() if row[column])
        for row in problems.to_dict("records")
    ]
    problems["score"] = problems["score"].round().astype(int)
    return problems.sort_values(["score", "code"]).rename(
        columns={
            "code": "Code",
            "title": "Action",
            "pilot_service": "Service pilote",
            "root_title": "Premier niveau",
            "status": "Statut",
            "score": "Complétude (%)",
            "todo": "À compléter",
        }
    )[
        [
            "Code",
            "Action",
            "Service pilote",
            "Premier niveau",
            "Statut",
            "Complétude (%)",
            "À compléter",
        ]
    ]


def build_scores(checked: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per pilot or first-level item: open actions, mean completeness, count of each gap."""
    keyed = checked.assign(**{by: checked[by].fillna(NO_PILOT)})
    grouped = keyed.groupby(by, sort=True)
    scores = pd.DataFrame(
        {
            GROUPS[by]: list(grouped.groups),
            "Actions ouvertes": grouped.size().to_numpy(),
            "Complétude (%)": grouped["score"].mean().round().astype(int).to_numpy(),
        }
    )
    for column, label in CHECKS.items():
        scores[label] = grouped[column].sum().astype(int).to_numpy()
    return scores.sort_values(["Complétude (%)", GROUPS[by]]).reset_index(drop=True)
