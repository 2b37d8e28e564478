"""Every page rendered by AppTest on every demo territory; shown numbers checked against SQL."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.formatting import format_number
from dashboard.navigation import PAGE_FILES

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = PAGE_FILES
SIRENS = ["200068666", "245400601", "242100410", "200053742"]


def run_page(page: str, siren: str, **params: str) -> AppTest:
    """Open the app on `siren`, then `page` with the extra URL parameters of a shared link."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["territoire"] = siren
    at.run()  # the entry point runs first: sidebar, territory from the URL, navigation
    if page != "overview" or params:
        at.switch_page(f"pages/{page}.py")
        at.query_params.update({"territoire": siren, **params})
        at.run()
    return at


def html_tables(at: AppTest) -> list[pd.DataFrame]:
    """The HTML tables of the page (action tables, templates/action_table.html) as text."""
    found = []
    for element in at.get("html"):
        for table in lxml.html.fromstring(f"<div>{element.proto.body}</div>").iter("table"):
            headers = [th.text_content().strip() for th in table.iter("th")]
            rows = [
                [td.text_content().strip() for td in tr.iter("td")]
                for tr in table.iter("tr")
                if tr.find("td") is not None
            ]
            found.append(pd.DataFrame(rows, columns=headers))
    return found


def table_with(at: AppTest, column: str):
    """The first table showing `column`, st.dataframe or HTML table (AppTest cannot look data
    frames up by key)."""
    tables = [d.value for d in at.dataframe] + html_tables(at)
    return next(table for table in tables if column in table.columns)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("siren", SIRENS)
@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(app_env, page, siren):
    at = run_page(page, siren)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title, "every page has a title"
    assert at.session_state["territory_siren"] == siren
    assert at.query_params["territoire"] == siren


def test_overview_numbers_match_the_database(app_env, demo_db):
    at = run_page("overview", "200068666")
    counts = dict(
        demo_db.execute(
            "select status, count(*) from actions"
            " where territory_id = 'saint-dizier' group by status"
        ).fetchall()
    )
    late = demo_db.execute(
        "select count(*) from action_status where territory_id = 'saint-dizier' and is_late"
    ).fetchone()[0]
    assert metric(at, "Actions") == format_number(sum(counts.values()))
    assert metric(at, "Réalisées") == format_number(counts.get("Réalisé", 0))
    assert metric(at, "En cours") == format_number(counts.get("En cours", 0))
    assert metric(at, "En retard") == format_number(late)
    assert late > 0
    assert len(table_with(at, "Fin prévue")) == late
    assert any("données de démonstration" in e.label for e in at.expander)


def test_unknown_territory_in_link_falls_back_with_a_warning(app_env):
    at = run_page("overview", "999999999")
    assert not at.exception
    assert any("999999999" in w.value for w in at.sidebar.warning)


def test_territory_without_budget_explains_instead_of_empty_charts(app_env):
    at = run_page("funding", "245400601")
    assert not at.exception
    assert any("Aucune ligne de budget" in w.value for w in at.warning)


def test_funding_totals_by_funder_match_sql(app_env, demo_db):
    at = run_page("funding", "200053742")
    table = table_with(at, "Dispositif")
    expected = demo_db.execute(
        "select sum(granted) from funding where territory_id = 'hauts-de-france'"
    ).fetchone()[0]
    shown = sum(
        float(v.replace("\u00a0", "").replace("€", "").replace(",", "."))
        for v in table["Accordé (€)"]
        if v != "—"
    )
    assert round(shown) == round(float(expected))


def test_missing_database_gives_a_clear_page(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_WAREHOUSE", str(tmp_path / "absent.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert any("pas encore été construite" in e.value for e in at.error)
