"""Progress views (issue 4): filters, watch list, fiche action, Mes actions, calendar — numbers
shown are checked against SQL on the demo database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from dashboard import charts, filters, watchlist
from dashboard.db import READ_ONLY_CONFIG
from dashboard.ui.widgets import safe_text
from tests.test_pages import metric, run_page, table_with


@pytest.fixture(scope="module")
def frames(demo_warehouse):
    """The frames the pages load, read with the app's own SQL files."""
    import duckdb

    from dashboard.queries import read_sql

    con = duckdb.connect(str(demo_warehouse), read_only=True, config=READ_ONLY_CONFIG)
    loaded = {
        name: con.execute(read_sql(name), {"territory": "saint-dizier"}).df()
        for name in ("actions", "plan_items", "action_links")
    }
    con.close()
    return loaded


def codes(frame: pd.DataFrame) -> set[str]:
    return set(frame["code"])


def sql_codes(demo_db, where: str, **params) -> set[str]:
    rows = demo_db.execute(
        f"select a.code from action_status a where a.territory_id = 'saint-dizier' and {where}",
        params or None,
    ).fetchall()
    return {r[0] for r in rows}


def test_filters_round_trip_through_the_url():
    chosen = filters.ActionFilters(
        item="P1",
        statuses=("En cours", "Bloqué"),
        pilot="Service culture",
        late_only=True,
        text="lac du Der",
        commune="52448",
    )
    params = chosen.to_params()
    assert params == {
        "element": "P1",
        "statut": "En cours,Bloqué",
        "pilote": "Service culture",
        "retard": "1",
        "q": "lac du Der",
        "commune": "52448",
    }
    assert filters.ActionFilters.from_params(params) == chosen
    assert not filters.ActionFilters().active


def test_item_filter_keeps_everything_below_the_item(frames, demo_db):
    actions, items, links = frames["actions"], frames["plan_items"], frames["action_links"]
    shown = filters.apply_filters(actions, items, links, filters.ActionFilters(item="P2.A1"))
    expected = sql_codes(
        demo_db,
        "a.item_id in (select item_id from plan_items where code like 'P2.A1.%'"
        " and territory_id = 'saint-dizier')",
    )
    assert codes(shown) == expected
    assert len(expected) >= 9


def test_combined_filters_match_sql(frames, demo_db):
    actions, items, links = frames["actions"], frames["plan_items"], frames["action_links"]
    chosen = filters.ActionFilters(item="P1", statuses=("En cours",), late_only=True)
    shown = filters.apply_filters(actions, items, links, chosen)
    expected = sql_codes(
        demo_db,
        "a.root_item_id = 'saint-dizier:P1' and a.status = 'En cours' and a.is_late",
    )
    assert codes(shown) == expected


@pytest.mark.parametrize(
    ("field", "kind", "sql"),
    [
        (
            "commune",
            "commune",
            "a.action_id in (select action_id from action_communes where insee_code = $v)",
        ),
        (
            "contract",
            "contrat",
            "a.action_id in (select f.action_id from funding f join contracts c using (contract_id)"
            " where c.code = $v)",
        ),
        ("funder", "financeur", "a.action_id in (select action_id from funding where funder = $v)"),
        ("theme", "theme", "list_contains(a.themes, $v)"),
    ],
)
def test_link_filters_match_sql(frames, demo_db, field, kind, sql):
    actions, items, links = frames["actions"], frames["plan_items"], frames["action_links"]
    value = links[links["kind"] == kind]["value"].value_counts().index[0]
    shown = filters.apply_filters(actions, items, links, filters.ActionFilters(**{field: value}))
    assert codes(shown) == sql_codes(demo_db, sql, v=value)
    assert len(shown) > 0


def test_text_search_ignores_case_and_accents(frames):
    actions, items, links = frames["actions"], frames["plan_items"], frames["action_links"]
    shown = filters.apply_filters(actions, items, links, filters.ActionFilters(text="TELEMEDECINE"))
    assert list(shown["code"]) == ["P2.A2.O2.a2"]


def test_watchlist_reasons_match_sql(frames, demo_db):
    today = dt.date.today()
    watch = watchlist.build_watchlist(frames["actions"], today)
    late = watch[watch["reason"] == "En retard"]
    assert codes(late) == sql_codes(demo_db, "a.is_late")
    assert not watch["status"].isin(["Réalisé", "Abandonné"]).any()
    assert watch["rank"].is_monotonic_increasing
    no_pilot = watch[watch["reason"] == "Sans service pilote"]
    assert codes(no_pilot) == sql_codes(
        demo_db, "a.pilot_service is null and a.status not in ('Réalisé', 'Abandonné')"
    )


def test_gantt_draws_every_dated_action_once(frames):
    actions = frames["actions"]
    figure = charts.build_gantt_figure(actions, pd.Timestamp(dt.date.today()))
    bars = sum(len(t.base) for t in figure.data if t.type == "bar")
    assert bars == len(actions.dropna(subset=["planned_start", "planned_end"]))
    late_outlines = sum(
        sum(1 for w in t.marker.line.width if w == 3) for t in figure.data if t.type == "bar"
    )
    assert late_outlines == int(actions["is_late"].sum())


def test_plan_page_applies_filters_from_the_url(app_env, demo_db):
    at = run_page("plan", "200068666", element="P1", statut="En cours")
    assert not at.exception
    expected = sql_codes(demo_db, "a.root_item_id = 'saint-dizier:P1' and a.status = 'En cours'")
    table = table_with(at, "Avancement")
    assert set(table["Code"]) == expected
    assert at.query_params["element"] == "P1"


def test_fiche_action_shows_its_numbers(app_env, demo_db):
    code = "P2.A1.O2.a4"  # Petites Villes de Demain, Wassy and La Porte du Der
    at = run_page("action", "200068666", action=code)
    assert not at.exception
    title, status = demo_db.execute(
        "select title, status from actions where territory_id = 'saint-dizier' and code = $c",
        {"c": code},
    ).fetchone()
    assert at.header[0].value.replace("\\", "") == title
    assert metric(at, "Statut").startswith(status)
    granted = demo_db.execute(
        "select sum(granted) from funding where action_id = 'saint-dizier:' || $c", {"c": code}
    ).fetchone()[0]
    shown = table_with(at, "Financeur")["Accordé (€)"]
    total = sum(float(v.replace("\u00a0", "").replace("€", "")) for v in shown if v != "—")
    assert round(total) == round(float(granted))
    communes = set(table_with(at, "Code INSEE")["Code INSEE"])
    assert {"52550", "52331"} <= communes


def test_fiche_action_names_its_pilot_or_says_none_is_given(app_env, demo_db):
    rows = demo_db.execute(
        "select code, pilot_name, pilot_email from actions where territory_id = 'saint-dizier' "
        "order by pilot_name is null, sort_order"
    ).fetchall()
    named, unnamed = rows[0], rows[-1]
    assert named[1]
    assert unnamed[1] is None
    for code, name, email in (named, unnamed):
        at = run_page("action", "200068666", action=code)
        [line] = [m.value for m in at.markdown if m.value.startswith("**Pilote** :")]
        expected = f"{safe_text(name)} · {safe_text(email)}" if name else "—"
        assert line == f"**Pilote** : {expected}"


def test_mes_actions_lists_the_pilot_actions_by_urgency(app_env, demo_db):
    pilot = "Direction des mobilités"
    at = run_page("my_actions", "200068666", pilote=pilot)
    assert not at.exception
    expected = sql_codes(demo_db, "a.pilot_service = $p", p=pilot)
    assert metric(at, "Mes actions") == str(len(expected))
    late = sql_codes(demo_db, "a.pilot_service = $p and a.is_late", p=pilot)
    assert metric(at, "En retard") == str(len(late))
    table = table_with(at, "À traiter")
    if late:
        assert set(table["Code"].iloc[: len(late)]) == late  # late actions come first


def test_overview_watch_tabs_count_late_actions(app_env, demo_db):
    at = run_page("overview", "200068666")
    late = len(sql_codes(demo_db, "a.is_late"))
    assert any(tab.label == f"En retard ({late})" for tab in at.tabs)


def test_first_level_bars_sort_by_lateness(app_env):
    from dashboard.queries import load_status_by_root

    status = load_status_by_root("dijon")
    ranked = charts.sort_roots(status, "late")
    late = status.groupby("item_id")["n_late"].sum().loc[ranked["item_id"]]
    assert late.is_monotonic_decreasing
    assert list(charts.sort_roots(status, "plan")["sort_order"]) == sorted(
        status["sort_order"].unique()
    )


def test_unknown_filter_values_in_a_link_are_announced(app_env):
    at = run_page("plan", "200068666", element="XYZ", pilote="nope")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "XYZ" in warnings
    assert "nope" in warnings


def test_tree_terminates_when_an_action_reuses_a_plan_code():
    items = pd.DataFrame(
        {
            "item_id": ["t:E1", "t:E1.D1"],
            "parent_id": [None, "t:E1"],
            "title": ["E", "D"],
            "level": ["enjeu", "défi"],
        }
    )
    actions = pd.DataFrame(
        {
            "action_id": ["t:E1.D1"],
            "item_id": ["t:E1.D1"],
            "title": ["A"],
            "status": ["En cours"],
            "progress": [50.0],
        }
    )
    figure = charts.build_plan_hierarchy_figure(items, actions)
    assert list(figure.data[0].values) == [1, 1, 1]
