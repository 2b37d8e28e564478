"""Qualité des données: one staleness rule shared with the watch list, scores that add up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard import quality, watchlist
from tests.test_pages import run_page, table_with

SQL = Path(__file__).resolve().parent.parent / "dashboard" / "sql"
TERRITORY = "saint-dizier"


@pytest.fixture(scope="module")
def checks(demo_db) -> pd.DataFrame:
    query = (SQL / "quality.sql").read_text()
    raw = demo_db.execute(query, {"territory": TERRITORY}).df()
    return quality.with_checks(raw, dt.date.today())


def test_stale_is_the_watchlist_rule(checks, demo_db):
    actions = demo_db.execute((SQL / "actions.sql").read_text(), {"territory": TERRITORY}).df()
    watch = watchlist.build_watchlist(actions, dt.date.today())
    stale_watch = set(watch.loc[watch["reason"] == watchlist.STALE_REASON, "code"])
    assert set(checks.loc[checks["stale"], "code"]) == stale_watch
    assert stale_watch, "the demo has actions without a recent note"
    assert quality.CHECKS["stale"] == watchlist.STALE_REASON == "Sans suivi depuis 6 mois"


def test_stale_months_is_configurable(monkeypatch):
    notes = pd.Series([pd.Timestamp("2026-01-10"), None, pd.Timestamp("2026-05-01")])
    today = dt.date(2026, 6, 1)
    assert list(watchlist.is_stale(notes, today, months=3)) == [True, True, False]
    assert list(watchlist.is_stale(notes, today, months=12)) == [False, True, False]
    monkeypatch.setenv("PILOTAGE_STALE_MONTHS", "3")
    assert watchlist.get_stale_months() == 3
    monkeypatch.setenv("PILOTAGE_STALE_MONTHS", "trois")
    assert watchlist.get_stale_months() == watchlist.DEFAULT_STALE_MONTHS


def test_scores_per_action_pilot_and_root_add_up(checks):
    gaps = checks[list(quality.CHECKS)].sum(axis=1)
    assert (checks["score"] == 100 * (1 - gaps / len(quality.CHECKS))).all()
    for by in ("pilot_service", "root_title"):
        scores = quality.build_scores(checks, by)
        assert scores["Actions ouvertes"].sum() == len(checks)
        for column, label in quality.CHECKS.items():
            assert scores[label].sum() == int(checks[column].sum())
    pilots = quality.build_scores(checks, "pilot_service").set_index("Service pilote")
    assert pilots.loc[quality.NO_PILOT, "Actions ouvertes"] == int(checks["missing_pilot"].sum())
    todo = quality.build_todo(checks)
    assert len(todo) == int(checks[list(quality.CHECKS)].any(axis=1).sum())
    assert todo["Complétude (%)"].is_monotonic_increasing


def test_quality_page_shows_the_three_views(app_env, checks):
    at = run_page("quality", "200068666")
    assert not at.exception
    assert [t.label for t in at.tabs] == [
        "À compléter, par action",
        "Par service pilote",
        "Par premier niveau",
    ]
    by_root = table_with(at, "Premier niveau")
    assert "Complétude (%)" in by_root.columns
    provenance = table_with(at, "Empreinte SHA-256")
    assert provenance["Empreinte SHA-256"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert provenance["Millésime"].notna().any()
