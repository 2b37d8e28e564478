"""What needs attention: late, blocked, ending soon, without pilot, funding or recent update.

Pure functions (no Streamlit): used by Vue d'ensemble ("À surveiller") and Mes actions.
"""

from __future__ import annotations

import datetime as dt
import os

import pandas as pd

from etl.schema import DONE_STATUSES

DEFAULT_STALE_MONTHS = 6
ENDING_DAYS = 90


def get_stale_months() -> int:
    """Months without a follow-up note after which an open action needs an update
    (PILOTAGE_STALE_MONTHS, default 6): the one rule of the watch list and the Qualité page."""
    text = os.environ.get("PILOTAGE_STALE_MONTHS", "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_STALE_MONTHS


# Read once at start: the reason's label names the number of months.
STALE_MONTHS = get_stale_months()
STALE_REASON = f"Sans suivi depuis {STALE_MONTHS} mois"
# Reason -> urgency rank (lower is more urgent).
REASONS = {
    "En retard": 0,
    "Bloquée": 1,
    "Échéance dans moins de 90 jours": 2,
    STALE_REASON: 3,
    "Sans service pilote": 4,
    "Sans financement": 5,
}


def _as_dates(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, errors="coerce")


def is_stale(last_note_date: pd.Series, today: dt.date, months: int = STALE_MONTHS) -> pd.Series:
    """No follow-up note at all, or none for more than `months` months."""
    last_note = _as_dates(last_note_date)
    return last_note.isna() | (last_note < pd.Timestamp(today) - pd.DateOffset(months=months))


def build_watchlist(actions: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """One row per (open action, reason), most urgent first; finished actions never appear."""
    open_actions = actions[~actions["status"].isin(DONE_STATUSES)]
    now = pd.Timestamp(today)
    end = _as_dates(open_actions["planned_end"])
    checks = {
        "En retard": open_actions["is_late"].fillna(False).astype(bool),
        "Bloquée": open_actions["status"] == "Bloqué",
        "Échéance dans moins de 90 jours": (end >= now)
        & (end <= now + pd.Timedelta(days=ENDING_DAYS)),
        STALE_REASON: is_stale(open_actions["last_note_date"], today),
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
