"""Result indicators end to end on real files and a real DuckDB: the sheets indicateurs, mesures
and alertes validated (French messages naming file, sheet, row, column), the SQL computations
(share reached, trajectory through milestones, gap, status threshold, series), every alert rule
firing and not firing, and the demo data checked against the source document."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from etl import pipeline
from etl.schema import ALERT_RULES

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ROOT / "tests" / "fixtures" / "documents"
INDICATOR_HEADER = (
    "code;action;element;intitule;unite;sens;valeur_initiale;date_initiale;cible;date_cible;"
    "serie;source;demo;provenance"
)
# The mini territory judged at 30/06/2026 (its data date): every rule has a case that fires
# and one that must not.
INDICATORS = [
    # A milestone at 20 on 01/01/2026: expected 20 there (a straight line would say ≈ 50).
    "BEHIND;A1;;En retard de 15 points;logements;hausse;0;01/01/2024;100;01/01/2028;;essai;;",
    "EDGE;A1;;En retard de 10 points tout juste;logements;hausse;0;01/01/2024;100;01/01/2028;;;;",
    "AHEAD;A1;;En avance;t CO2;baisse;100;01/01/2024;50;01/01/2028;;;;",
    "ON;A1;;Sur la trajectoire;logements;hausse;0;01/01/2024;100;01/01/2028;;;;",
    "MISSED;A1;;Échéance passée;logements;hausse;0;01/01/2022;10;01/01/2026;;;;",
    "REACHED;A1;;Cible atteinte;logements;hausse;0;01/01/2022;10;01/01/2026;;;;",
    "TREND;;E1;Trois baisses de suite;visiteurs;hausse;;;;;;;;",
    "FLAT;;E1;Deux baisses puis stable;visiteurs;hausse;;;;;;;;",
    "SHORT;;E1;Une seule baisse;visiteurs;hausse;;;;;;;;",
    "STALE;;E2;Dernière valeur ancienne;%;baisse;;;;;;;;",
    "NEVER;;E2;Jamais mesuré;%;baisse;;;;;;;;",
    "SERIES;A1;;Population des communes de l'action;habitants;hausse;;;;;population_legale;;;",
]
MEASURES = [
    "BEHIND;jalon;01/01/2026;20",
    "BEHIND;mesure;01/01/2026;5",
    "EDGE;jalon;01/01/2026;20",
    "EDGE;mesure;01/01/2026;10",
    "AHEAD;mesure;01/01/2026;60",
    "ON;mesure;01/01/2026;52",
    "MISSED;mesure;01/06/2026;8",
    "REACHED;mesure;01/06/2026;10",
    "TREND;mesure;01/01/2026;5",
    "TREND;mesure;01/02/2026;4",
    "TREND;mesure;01/03/2026;3",
    "FLAT;mesure;01/01/2026;5",
    "FLAT;mesure;01/02/2026;4",
    "FLAT;mesure;01/03/2026;4",
    "SHORT;mesure;01/02/2026;5",
    "SHORT;;01/03/2026;4",
    "STALE;mesure;01/01/2025;30",
]


def write_results(folder: Path, alertes: list[str] | None = None) -> None:
    (folder / "indicateurs.csv").write_text(
        "\n".join([INDICATOR_HEADER, *INDICATORS]) + "\n", encoding="utf-8"
    )
    (folder / "mesures.csv").write_text(
        "indicateur;type;date;valeur\n" + "\n".join(MEASURES) + "\n", encoding="utf-8"
    )
    territory = folder / "territoire.csv"
    lines = territory.read_text(encoding="utf-8").splitlines()
    territory.write_text(f"{lines[0]};date_donnees\n{lines[1]};30/06/2026\n", encoding="utf-8")
    suivi = folder / "suivi.csv"
    suivi.write_text(
        "action;element;date;auteur;type;meteo;raison_meteo;texte\n"
        "A1;;15/01/2024;Service eau;avancement;;;Lancement des études\n"
        ";E1;01/06/2026;DGS;avancement;nuageux;Retard d'un chantier;Point d'étape\n",
        encoding="utf-8",
    )
    if alertes is not None:
        (folder / "alertes.csv").write_text(
            "regle;seuil;active\n" + "\n".join(alertes) + "\n", encoding="utf-8"
        )


def build(sources: Path, output: Path) -> duckdb.DuckDBPyConnection:
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    return duckdb.connect(str(output), read_only=True)


@pytest.fixture(scope="module")
def results_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    shutil.copytree(ROOT / "tests" / "fixtures" / "valid" / "mini", root / "sources" / "mini")
    write_results(root / "sources" / "mini")
    con = build(root / "sources", root / "w.duckdb")
    yield con
    con.close()


def status(con, code: str) -> dict:
    cursor = con.execute("select * from result_status where code = ?", [code])
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchone(), strict=True))


def fired(con, rule: str) -> set[str]:
    """Codes (indicator, action or plan item) the rule fires on."""
    rows = con.execute(
        """
        select coalesce(r.code, a.code, p.code)
        from result_alerts as x
        left join result_indicators as r using (indicator_id)
        left join actions as a on a.action_id = x.action_id and x.indicator_id is null
        left join plan_items as p on p.item_id = x.item_id and x.indicator_id is null
        where x.rule = ?
        """,
        [rule],
    ).fetchall()
    return {code for (code,) in rows}


# --- SQL computations ------------------------------------------------------------------------


def test_trajectory_goes_through_the_milestone(results_db):
    behind = status(results_db, "BEHIND")
    assert behind["expected_value"] == pytest.approx(20)
    assert behind["share_reached"] == pytest.approx(5)
    assert behind["expected_share"] == pytest.approx(20)
    assert behind["gap_points"] == pytest.approx(-15)
    assert behind["trajectory_status"] == "en retard"


def test_trajectory_is_linear_from_baseline_to_target_and_direction_is_read(results_db):
    days = (2026 - 2024) * 365 + 1  # 01/01/2024 -> 01/01/2026 (2024 is a leap year)
    span = 4 * 365 + 1
    linear = 100 * days / span
    on = status(results_db, "ON")
    assert on["expected_value"] == pytest.approx(linear)
    assert on["gap_points"] == pytest.approx(52 - linear)
    assert on["trajectory_status"] == "sur la trajectoire"
    ahead = status(results_db, "AHEAD")  # « baisse »: 100 -> 50, measured 60
    assert ahead["share_reached"] == pytest.approx(80)
    assert ahead["expected_value"] == pytest.approx(100 - 50 * days / span)
    assert ahead["gap_points"] == pytest.approx(80 - linear)
    assert ahead["trajectory_status"] == "en avance"


def test_status_threshold_is_the_territory_tolerance(results_db):
    edge = status(results_db, "EDGE")
    assert edge["gap_points"] == pytest.approx(-10)
    assert edge["tolerance_points"] == 5
    assert edge["trajectory_status"] == "en retard"  # -10 < -5


def test_target_reached_and_not_computable_without_target(results_db):
    assert status(results_db, "REACHED")["target_reached"] is True
    assert status(results_db, "MISSED")["target_reached"] is False
    trend = status(results_db, "TREND")
    assert trend["latest_value"] == 3
    assert trend["n_points"] == 3
    assert trend["share_reached"] is None
    assert trend["trajectory_status"] is None
    never = status(results_db, "NEVER")
    assert never["n_points"] == 0
    assert never["latest_value"] is None


def test_series_values_are_the_sum_over_the_action_communes_with_millesime(results_db):
    points = results_db.execute(
        "select point_date, value, millesime, origin, provenance from result_points "
        "where indicator_id = 'mini:SERIES' order by point_date"
    ).fetchall()
    expected = results_db.execute(
        "select year, sum(value), count(*) from indicators "
        "where indicator = 'population_legale' and insee_code in ('54430', '54215') "
        "group by year order by year"
    ).fetchall()
    assert len(points) == len(expected) >= 5
    for (date, value, millesime, origin, provenance), (year, total, n) in zip(
        points, expected, strict=True
    ):
        assert n == 2
        assert date.year == year
        assert value == total
        assert millesime == f"COG {year}"
        assert origin == "série"
        assert provenance == "sourced"
    latest = status(results_db, "SERIES")
    assert latest["latest_millesime"] == f"COG {expected[-1][0]}"


# --- Alert rules, each firing and not firing ----------------------------------------------------


def test_behind_trajectory_fires_beyond_its_threshold_only(results_db):
    found = fired(results_db, "behind_trajectory")
    assert "BEHIND" in found
    assert "EDGE" not in found  # exactly 10 points behind: not more than 10
    assert not found & {"ON", "AHEAD", "TREND"}


def test_target_missed_fires_only_when_the_target_date_passed_unreached(results_db):
    found = fired(results_db, "target_missed")
    assert found == {"MISSED"}
    observed = results_db.execute(
        "select observed from result_alerts where rule = 'target_missed'"
    ).fetchone()[0]
    assert observed == 180  # 01/01/2026 -> 30/06/2026


def test_falling_trend_needs_the_last_n_values_each_worse(results_db):
    found = fired(results_db, "falling_trend")
    assert "TREND" in found
    assert not found & {"FLAT", "SHORT", "ON"}


def test_stale_indicator_fires_after_n_months_or_without_value(results_db):
    found = fired(results_db, "stale_indicator")
    assert {"STALE", "NEVER"} <= found
    assert not found & {"ON", "TREND", "REACHED", "MISSED"}  # recent (or target reached)
    rows = dict(
        results_db.execute(
            "select r.code, x.observed from result_alerts as x "
            "join result_indicators as r using (indicator_id) where x.rule = 'stale_indicator'"
        ).fetchall()
    )
    assert rows["STALE"] == 17
    assert rows["NEVER"] is None


def test_weather_missing_fires_on_first_level_items_without_recent_weather(results_db):
    assert fired(results_db, "weather_missing") == {"E2"}  # E1 has a météo of 01/06/2026


def test_funding_gap_fires_on_open_actions_above_threshold(results_db):
    found = fired(results_db, "funding_gap")
    # A1: 1 600 000,50 € planned, 400 000 € granted (75 % gap); A2 is done; A3 has no budget.
    assert found == {"A1"}


def test_territory_thresholds_and_switches_change_what_fires(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "tests" / "fixtures" / "valid" / "mini", sources / "mini")
    write_results(
        sources / "mini",
        [
            "besoin_financement;80;",
            "retard_trajectoire;;non",
            "tendance_defavorable;2;",
            "meteo_absente;;non",
            "tolerance_trajectoire;12;",
        ],
    )
    con = build(sources, tmp_path / "w.duckdb")
    try:
        assert fired(con, "funding_gap") == set()  # 75 % < 80 %
        assert fired(con, "behind_trajectory") == set()
        assert fired(con, "weather_missing") == set()
        trend = fired(con, "falling_trend")  # on the last 2 values
        assert {"TREND", "SHORT"} <= trend
        assert "FLAT" not in trend  # 5, 4, 4: its last step is flat
        assert status(con, "EDGE")["trajectory_status"] == "sur la trajectoire"  # |-10| < 12
        rules = dict(con.execute("select rule, is_default from alert_rules").fetchall())
        assert rules["funding_gap"] is False
        assert rules["stale_indicator"] is True
        assert set(rules) == {rule.key for rule in ALERT_RULES}
    finally:
        con.close()


# --- Validation: French messages naming file, sheet, row and column ---------------------------


BROKEN = [
    (
        "indicateurs",
        "X;A1;E1;Deux cibles;;hausse;;;;;;;;",
        "l'un ou l'autre",
        "colonne « action »",
    ),
    (
        "indicateurs",
        "X;A9;;Action inconnue;;hausse;;;;;;;;",
        "action inconnue",
        "colonne « action »",
    ),
    (
        "indicateurs",
        "X;;E9;Élément inconnu;;hausse;;;;;;;;",
        "élément inconnu",
        "colonne « element »",
    ),
    (
        "indicateurs",
        "X;A1;;Cible sans date;;hausse;0;01/01/2024;10;;;;;",
        "la cible et sa date vont ensemble",
        "colonne « date_cible »",
    ),
    (
        "indicateurs",
        "X;A1;;Cible trop tôt;;hausse;0;01/01/2024;10;01/01/2023;;;;",
        "date de la cible antérieure",
        "colonne « date_cible »",
    ),
    (
        "indicateurs",
        "X;A1;;Sens contraire;;hausse;10;01/01/2024;5;01/01/2028;;;;",
        "la cible doit être supérieure",
        "colonne « cible »",
    ),
    (
        "indicateurs",
        "X;A1;;Sens inconnu;;monte;;;;;;;;",
        "valeur non reconnue",
        "colonne « sens »",
    ),
    (
        "indicateurs",
        "X;A1;;Série inconnue;;hausse;;;;;LOGVAC_INCONNU;;;",
        "série inconnue ; séries chargées : population_legale",
        "colonne « serie »",
    ),
    ("mesures", "INCONNU;mesure;01/01/2025;3", "indicateur inconnu", "colonne « indicateur »"),
    ("mesures", "ON;mesure;01/01/2099;3", "mesure datée dans le futur", "colonne « date »"),
    ("mesures", "ON;mesure;01/01/2026;53", "mesure en double", "colonne « date »"),
    ("mesures", "ON;jalon;01/01/2029;80", "jalon hors de la trajectoire", "colonne « date »"),
    ("mesures", "TREND;jalon;01/01/2026;80", "jalon d'un indicateur sans", "colonne « type »"),
    ("mesures", "SERIES;mesure;01/01/2025;3", "viennent de la série", "colonne « indicateur »"),
    ("mesures", "ON;mesure;01/01/2025;beaucoup", "nombre illisible", "colonne « valeur »"),
    ("alertes", "retard_trajectoire;-3;", "seuil attendu", "colonne « seuil »"),
    ("alertes", "tendance_defavorable;1;", "au moins 2 valeurs", "colonne « seuil »"),
    ("alertes", "meteo_absente;2,5;", "nombre entier positif", "colonne « seuil »"),
    ("alertes", "regle_inconnue;2;", "valeur non reconnue", "colonne « regle »"),
]


@pytest.mark.parametrize(("sheet", "line", "message", "column"), BROKEN)
def test_broken_result_rows_are_refused_in_french(mini_sources, sheet, line, message, column):
    folder = mini_sources / "mini"
    write_results(folder, ["besoin_financement;70;"] if sheet == "alertes" else None)
    path = folder / f"{sheet}.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([*lines, line]) + "\n", encoding="utf-8")
    row = len(lines) + 1
    errors = [str(issue) for issue in pipeline.run_check(mini_sources).issues.errors]
    where = f"fichier mini/{sheet}.csv, feuille « {sheet} », ligne {row}, {column}"
    assert any(where in text and message in text for text in errors), errors


def test_valid_result_sheets_give_no_error(mini_sources):
    write_results(mini_sources / "mini", ["besoin_financement;70;oui"])
    result = pipeline.run_check(mini_sources)
    assert not result.issues.errors, [str(i) for i in result.issues.errors]


# --- Demo data ----------------------------------------------------------------------------------


def read_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


POMPEY_FIGURES = {
    "I.TRAJETS": "Trajets quotidiens en voiture individuelle",
    "I.CO2": "Émissions de CO2 générées par ces trajets",
    "I.ILLECTRONISME": "Population concernée par l'illectronisme",
    "I.SYNERGIES": "Synergies inter-entreprises et établissements identifiées",
}


def test_pompey_measures_are_the_documents_key_figures(demo_db):
    figures = {
        row["indicateur"]: row for row in read_rows(ROOT / "data/sources/pompey/chiffres_cles.csv")
    }
    document = next(DOCUMENTS.glob("001_*.txt")).read_text(encoding="utf-8")
    rows = demo_db.execute(
        "select r.code, m.value, m.provenance, m.is_demo, m.source from result_measures as m "
        "join result_indicators as r using (indicator_id) where m.territory_id = 'pompey'"
    ).fetchall()
    assert {code for code, *_ in rows} == set(POMPEY_FIGURES)
    for code, value, provenance, is_demo, source in rows:
        assert float(figures[POMPEY_FIGURES[code]]["valeur"]) == value
        assert provenance == "sourced"
        assert not is_demo
        assert source.startswith(figures[POMPEY_FIGURES[code]]["source"])
        number = f"{value:,.0f}".replace(",", " ")
        assert f"{number} " in document or f"{value:g}%" in document  # « 95 000 », « 17% »


def test_saint_dizier_demo_results_are_flagged_and_computed(demo_db):
    rows = demo_db.execute(
        "select code, provenance, latest_provenance, trajectory_status from result_status "
        "where territory_id = 'saint-dizier'"
    ).fetchall()
    by_code = {code: rest for code, *rest in rows}
    assert "I.OPAH.LOGEMENTS" in by_code
    assert len(by_code) >= 4
    assert all(provenance == "demo" for provenance, _, _ in by_code.values())
    assert by_code["I.OPAH.LOGEMENTS"] == ["demo", "demo", "en retard"]
    # The population indicator reads the INSEE series: its values are sourced.
    assert by_code["I.POPULATION"][1] == "sourced"
