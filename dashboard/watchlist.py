"""What needs attention: late, blocked, ending soon, without pilot, funding or recent update.

Pure functions (no Streamlit): used by Vue d'ensemble ("À surveiller") and Mes actions.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.schema import DONE_STATUSES

STALE_MONTHS = 6
ENDING_DAYS = 90
# Reason -> urgency rank (lower is more urgent).
REASONS = {
    "En retard": 0,
    "Bloquée": 1,
    "Échéance dans moins de 90 jours": 2,
    "Sans suivi depuis 6 mois": 3,
    "Sans service pilote": 4,
    "Sans financement": 5,
}


def _as_dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


def build_watchlist(actions: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """One row per (open action, reason), most urgent first; finished actions never appear."""
    open_actions = actions[~actions["status"].isin(DONE_STATUSES)]
    now = pd.Timestamp(today)
    end = _as_dates(open_actions["planned_end"])
    last_note = _as_dates(open_actions["last_note_date"])
    stale_before = now - pd.DateOffset(months=STALE_MONTHS)
    checks = {
        "En retard": open_actions["is_late"].fillna(False).astype(bool),
        "Bloquée": open_actions["status"] == "Bloqué",
        "Échéance dans moins de 90 jours": (end >= now)
        & (end <= now + pd.Timedelta(days=ENDING_DAYS)),
        "Sans suivi depuis 6 mois": last_note.isna() | (last_note < stale_before),
        "Sans service pilote": open_actions["pilot_service"].isna(),
        "Sans financement": open_actions["n_funding_lines"].isna(),
    }
    rows = [open_actions[mask].assign(reason=reason) for reason, mask in checks.items()]
    watch = pd.concat(rows, ignore_index=True) if rows else open_actions.assign(reason=None)
    watch["rank"] = watch["reason"].map(REASONS)
    watch["days_late"] = watch["days_late"].fillna(0)
    return watch.sort_values(["rank", "days_late", "planned_end"], ascending=[True, False, True])


def rank_by_urgency(actions: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Each action once, with all its reasons, ordered by its most urgent reason."""
    watch = build_watchlist(actions, today)
    reasons = watch.groupby("action_id")["reason"].agg(" · ".join)
    rank = watch.groupby("action_id")["rank"].min()
    ranked = actions.assign(
        reasons=actions["action_id"].map(reasons).fillna(""),
        rank=actions["action_id"].map(rank).fillna(len(REASONS)),
    )
    ranked["days_late"] = ranked["days_late"].fillna(0)
    return ranked.sort_values(["rank", "days_late", "planned_end"], ascending=[True, False, True])
