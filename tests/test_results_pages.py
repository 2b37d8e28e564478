"""Results on screen, on paper and in files: the Résultats page, the fiche action, « À
surveiller » and the commission item screen run by AppTest with their numbers compared with
SQL; the Rapport de commission (PDF) and the exports carry each indicator with its provenance."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from pypdf import PdfReader

from dashboard import commission_report, explorer, exports, results
from dashboard.formatting import format_date, format_number
from dashboard.ui.widgets import safe_text
from tests.test_pages import metric, run_page

SAINT_DIZIER = "200068666"
POMPEY = "245400601"


def sql_status(con, territory: str, code: str) -> dict:
    cursor = con.execute(
        "select * from result_status where territory_id = ? and code = ?", [territory, code]
    )
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def metrics(at) -> list[tuple[str, str]]:
    return [(m.label, m.value) for m in at.metric]


def test_fiche_action_shows_the_indicator_computed_by_sql(app_env, demo_db):
    at = run_page("action", SAINT_DIZIER, action="P2.A1.O1.a4")
    assert not at.exception
    opah = sql_status(demo_db, "saint-dizier", "I.OPAH.LOGEMENTS")
    assert (
        metric(at, "Dernière valeur (logements)") == f"{format_number(opah['latest_value'])} (démo)"
    )
    assert metric(at, "Cible (logements)") == format_number(opah["target_value"])
    assert metric(at, "Part de la cible atteinte") == f"{format_number(opah['share_reached'], 1)} %"
    gap = opah["gap_points"]
    assert metric(at, "Écart (points)") == f"−{format_number(abs(gap), 1)}"
    captions = " ".join(c.value for c in at.caption)
    assert f"Dernière valeur au {format_date(opah['latest_date'])}" in captions
    assert f"cible au {format_date(opah['target_date'])}" in captions
    markdown = " ".join(m.value for m in at.markdown)
    assert safe_text("Logements rénovés dans le périmètre de l'OPAH-RU") in markdown
    assert f":red-badge[{opah['trajectory_status']}]" in markdown


def test_results_view_counts_and_cards_match_sql(app_env, demo_db):
    at = run_page("results", SAINT_DIZIER, element="P2")
    assert not at.exception
    counts = dict(
        demo_db.execute(
            "select coalesce(trajectory_status, 'non calculable'), count(*) from result_status "
            "where territory_id = 'saint-dizier' group by all"
        ).fetchall()
    )
    assert metric(at, "Indicateurs") == format_number(sum(counts.values()))
    for label in ("en avance", "sur la trajectoire", "en retard", "non calculable"):
        assert metric(at, label.capitalize()) == format_number(counts.get(label, 0))
    shown = [value for label, value in metrics(at) if label == "Part de la cible atteinte"]
    expected = demo_db.execute(
        "select share_reached from result_status where territory_id = 'saint-dizier' "
        "and root_item_id = 'saint-dizier:P2' order by sort_order"
    ).fetchall()
    assert shown == [f"{format_number(v, 1)} %" for (v,) in expected]
    weather = next(m.value for m in at.markdown if m.value.startswith("**Météo**"))
    (sql_weather, sql_date) = demo_db.execute(
        "select weather, weather_date from latest_weather where item_id = 'saint-dizier:P2'"
    ).fetchone()
    assert weather.count(sql_weather) == 1  # in its badge, not repeated in the text beside it
    assert f"[{sql_weather}] le {format_date(sql_date)}" in weather
    assert safe_text("(démo)") in weather


def test_results_view_of_pompey_shows_sourced_values_and_the_series_millesime(app_env, demo_db):
    at = run_page("results", POMPEY, element="E3")
    assert not at.exception
    population = sql_status(demo_db, "pompey", "I.POPULATION")
    assert metric(at, "Dernière valeur (habitants)") == format_number(population["latest_value"])
    captions = " ".join(c.value for c in at.caption)
    assert f"Dernière valeur {population['latest_millesime']}" in captions
    assert metric(at, "Cible (habitants)") == "non renseigné"
    markdown = " ".join(m.value for m in at.markdown)
    assert ":gray-badge[non calculable]" in markdown


def test_watch_list_lists_every_alert_with_its_rule(app_env, demo_db):
    at = run_page("overview", POMPEY)
    assert not at.exception
    expected = demo_db.execute(
        "select rule_label, count(*) from result_alerts where territory_id = 'pompey' group by all"
    ).fetchall()
    labels = [tab.label for tab in at.tabs]
    for rule_label, count in expected:
        assert f"{rule_label} ({count})" in labels
    table = next(d.value for d in at.dataframe if "Règle" in d.value.columns)
    assert set(table["Règle"]) <= {label for label, _ in expected}


def test_commission_item_screen_shows_weather_and_two_latest_comments(app_env, demo_db):
    at = run_page("commission", POMPEY, ecran="2")  # screen 2: the first enjeu, E1
    assert not at.exception
    weather = next(m.value for m in at.markdown if m.value.startswith("**Météo**"))
    assert "nuageux" in weather
    assert "Direction générale des services" in weather
    notes = demo_db.execute(
        "select count(*) from followups where item_id = 'pompey:E1'"
    ).fetchone()[0]
    comments = [m.value for m in at.markdown if m.value.startswith("- *")]
    assert len(comments) == min(notes, results.COMMENTS_SHOWN)


def test_report_pdf_prints_the_results_of_its_scope(app_env, demo_db):
    pdf = commission_report.build_report_pdf(SAINT_DIZIER, "element:P2", dt.date.today())
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeezed = "".join(text.split())
    assert "Résultats" in text
    assert "Météodeséléments" in squeezed
    for label, share in demo_db.execute(
        "select label, share_reached from result_status where root_item_id = 'saint-dizier:P2'"
    ).fetchall():
        assert "".join(label.split()) in squeezed
        assert format_number(share, 1).replace("\u00a0", "") in squeezed
    assert "situationenretard" in squeezed  # the trajectory chart's heading


def test_exports_carry_each_indicator_and_value_with_its_provenance(app_env, demo_db):
    book = openpyxl.load_workbook(io.BytesIO(exports.build_plan_workbook("pompey")))
    sheet = book["Résultats"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(2)]
    assert {r["Code"] for r in rows} == {
        c
        for (c,) in demo_db.execute(
            "select code from result_indicators where territory_id = 'pompey'"
        ).fetchall()
    }
    trips = next(r for r in rows if r["Code"] == "I.TRAJETS")
    assert trips["Dernière valeur"] == 95000
    assert trips["Provenance"] in (None, "")  # sourced: no mark, as in every export
    assert "Bassin de Pompey" in trips["Source de la dernière valeur"]
    measures = book["Mesures"]
    header = [c.value for c in measures[1]]
    assert {"Date", "Valeur", "Millésime", "Source", "Provenance"} <= set(header)
    csv_text = exports.to_csv_bytes(
        results.build_result_sheets("saint-dizier")["Résultats"]
    ).decode("utf-8-sig")
    opah = next(line for line in csv_text.splitlines() if line.startswith("I.OPAH.LOGEMENTS"))
    assert ";démo" in opah
    assert ";88;" in opah


def test_explorer_offers_the_measured_values(app_env, demo_db):
    frame = explorer.prepare("results", results.load_explorer_results("saint-dizier"))
    pivot = explorer.build_pivot(frame, ["indicator_label"], None, "value", "count")
    n_points = demo_db.execute(
        "select count(*) from result_points where territory_id = 'saint-dizier'"
    ).fetchone()[0]
    assert int(pivot.iloc[-1, -1]) == n_points
    assert set(frame["origin"]) == {"saisie", "série"}


@pytest.mark.parametrize("siren", [SAINT_DIZIER, POMPEY, "242100410", "200053742"])
def test_results_page_runs_on_every_territory(app_env, siren):
    assert not run_page("results", siren).exception


def test_provenance_notice_counts_invented_indicators_and_values(app_env, demo_db):
    from dashboard import queries, summaries

    notice = summaries.build_provenance_notice(
        queries.load_provenance_summary("saint-dizier"), None
    )
    n_indicators, n_measures = demo_db.execute(
        "select (select count(*) from result_indicators where territory_id = 'saint-dizier' "
        "and provenance = 'demo'), (select count(*) from result_measures "
        "where territory_id = 'saint-dizier' and provenance = 'demo')"
    ).fetchone()
    assert f"{n_indicators} indicateurs de résultat" in notice
    assert f"{n_measures} valeurs mesurées et jalons" in notice
