"""The ETL on the real demo sources and reference: tables, counts, wording, amounts, formats."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from etl import pipeline
from etl.schema import SHEETS
from etl.template import write_template

SEEDS = Path(__file__).resolve().parent / "fixtures" / "documents"  # shipped: no ../shared
REQUIRED_TABLES = {
    "territories",
    "communes",
    "plan_items",
    "actions",
    "budget_lines",
    "funding",
    "contracts",
    "indicators",
    "sources",
    "epci",
    "followups",
    "action_communes",
    "territory_communes",
}


def scalar(con, sql, *params):
    return con.execute(sql, list(params)).fetchone()[0]


def test_required_tables_exist(demo_db):
    tables = {
        row[0]
        for row in demo_db.execute("select table_name from information_schema.tables").fetchall()
    }
    assert tables >= REQUIRED_TABLES


def test_national_reference_is_loaded(demo_db):
    assert scalar(demo_db, "select count(*) from communes") == 34875
    assert scalar(demo_db, "select count(*) from communes where geometry is not null") >= 34860
    assert scalar(demo_db, "select count(*) from epci") > 1200


def test_saint_dizier_has_its_60_communes_with_geometry_and_area(demo_db):
    row = demo_db.execute(
        "select n_communes, population from territories where siren = '200068666'"
    ).fetchone()
    assert row[0] == 60
    geo = demo_db.execute(
        """select count(*), count(geometry), min(area_km2) from communes c
           join territory_communes t using (insee_code) where t.territory_id = 'saint-dizier'"""
    ).fetchone()
    assert geo[0] == geo[1] == 60
    assert geo[2] > 0
    area = scalar(demo_db, "select area_km2 from communes where insee_code = '52448'")
    assert 45 < area < 52  # Saint-Dizier: 48,3 km² (INSEE); simplified contours


def test_saint_dizier_full_plan_from_seed_000(demo_db):
    counts = dict(
        demo_db.execute(
            "select level, count(*) from plan_items"
            " where territory_id = 'saint-dizier' group by level"
        ).fetchall()
    )
    assert counts == {"pilier": 2, "ambition": 6, "objectif": 18}
    seed = (next(SEEDS.glob("000_*.txt"))).read_text(encoding="utf-8")
    flat_seed = "".join(seed.split())
    actions = demo_db.execute(
        "select title, source from actions where territory_id = 'saint-dizier'"
    ).fetchall()
    from_000 = [title for title, source in actions if source and source.startswith("000")]
    assert len(from_000) >= 53
    # Exact wording: every action title of the projet de territoire stands in the seed text.
    missing = [t for t in from_000 if "".join(t.split()) not in flat_seed]
    assert not missing, missing[:3]
    titles = {t for t, _ in actions}
    assert (
        "Obtenir de l’Etat et de ses partenaires le doublement du contournement "
        "de Saint-Dizier par la RN4" in titles
    )


def test_saint_dizier_pvd_contract_and_opah_ru(demo_db):
    contracts = demo_db.execute(
        "select contract_type, name from contracts where territory_id = 'saint-dizier'"
    ).fetchall()
    types = {t for t, _ in contracts}
    assert {"PVD", "CRTE", "ACV"} <= types
    assert any("OPAH-RU" in name for _, name in contracts)
    pvd_places = {
        r[0]
        for r in demo_db.execute(
            """select ac.insee_code from actions a join action_communes ac using (action_id)
           where a.territory_id = 'saint-dizier' and a.title ilike '%petites villes de demain%'"""
        ).fetchall()
    }
    assert {"52550", "52331"} <= pvd_places  # Wassy, La Porte du Der


def test_invented_values_are_flagged_as_demo(demo_db):
    assert scalar(
        demo_db, "select has_demo_data from territories where territory_id = 'saint-dizier'"
    )
    undeclared = scalar(
        demo_db,
        "select count(*) from budget_lines where territory_id = 'saint-dizier' and not is_demo",
    )
    assert undeclared == 0
    # The Hauts-de-France portfolio carries only figures from seed 004.
    assert not scalar(
        demo_db, "select has_demo_data from territories where territory_id = 'hauts-de-france'"
    )


def test_other_demo_territories(demo_db):
    rows = dict(demo_db.execute("select siren, territory_id from territories").fetchall())
    assert {"200068666", "245400601", "242100410", "200053742"} <= set(rows)
    pompey = dict(
        demo_db.execute(
            "select level, count(*) from plan_items where territory_id = $t group by level",
            {"t": rows["245400601"]},
        ).fetchall()
    )
    assert pompey == {"enjeu": 4, "défi": 16}
    assert scalar(demo_db, "select n_communes from territories where siren = '245400601'") == 13
    dijon = dict(
        demo_db.execute(
            "select depth, count(*) from plan_items where territory_id = $t group by depth",
            {"t": rows["242100410"]},
        ).fetchall()
    )
    assert dijon[1] == 7
    assert scalar(demo_db, "select n_communes from territories where siren = '242100410'") == 23


def test_pompey_key_figures_keep_their_source(demo_db):
    figures = demo_db.execute(
        "select indicator, value, source from territory_figures where territory_id = 'pompey'"
    ).df()
    assert not figures.empty
    assert figures["source"].str.contains("001").all()
    assert 41000 in figures["value"].tolist()


def test_hauts_de_france_projects_with_real_amounts(demo_db):
    projects = scalar(
        demo_db,
        """select count(distinct a.action_id) from actions a join funding f using (action_id)
           where a.territory_id = 'hauts-de-france' and f.granted is not null""",
    )
    assert projects >= 20
    # Nausicaa (004, l. 360-364): 17 M€ FEDER + ~24 M€ Région + >8 M€ Département, of ~50 M€.
    by_funder = dict(
        demo_db.execute(
            """select f.funder_type, sum(f.granted) from funding f join actions a using (action_id)
           where a.territory_id = 'hauts-de-france' and a.title ilike '%nausicaa%'
             and f.granted is not null
           group by f.funder_type"""
        ).fetchall()
    )
    assert by_funder == {"Europe": 17_000_000, "Région": 24_000_000, "Département": 8_000_000}
    total = scalar(
        demo_db,
        """select sum(b.planned) from budget_lines b join actions a using (action_id)
           where a.territory_id = 'hauts-de-france' and a.title ilike '%nausicaa%'""",
    )
    assert total == 50_000_000 >= sum(by_funder.values())
    # Every HdF action sits in an EPCI of the reference, or declares none.
    bad = scalar(
        demo_db,
        """select count(*) from actions where territory_id = 'hauts-de-france'
           and epci_siren is not null and epci_siren not in (select siren from epci)""",
    )
    assert bad == 0


def test_population_series_is_real_and_marks_repeats(demo_db):
    series = demo_db.execute(
        """select year, value, is_repeat from indicators
           where insee_code = '52448' and indicator = 'population_legale' order by year"""
    ).fetchall()
    assert [(y, int(v)) for y, v, _ in series] == [
        (2021, 22928),
        (2022, 23085),
        (2023, 23085),
        (2024, 22811),
        (2025, 22858),
        (2026, 22858),
    ]
    assert [r for _, _, r in series] == [False, False, True, False, False, True]
    source = scalar(
        demo_db, "select source from indicators where insee_code = '52448' and year = 2024"
    )
    assert "COG 2024" in source
    assert "4.1.0" in source


def test_sources_table_records_every_file_with_checksum(demo_db):
    sources = demo_db.execute("select file, checksum, rows, millesime from sources").df()
    assert sources["checksum"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert "reference/communes.csv.lzma" in set(sources["file"])
    plan_files = sources[sources["file"].str.startswith("sources/saint-dizier/")]
    assert plan_files["rows"].sum() > 100


def test_lateness_is_derived_from_dates(demo_db):
    """Late: a given status, neither done nor abandoned, and a planned end before the data's
    date (a dated document's) or today; an action without status is never late."""
    wrong = scalar(
        demo_db,
        """select count(*) from action_status as a join territories as t using (territory_id)
           where is_late != coalesce(
               a.status_given and planned_end < coalesce(t.data_date, current_date)
               and status not in ('Réalisé', 'Abandonné'), false)""",
    )
    assert wrong == 0
    assert scalar(demo_db, "select count(*) from action_status where is_late") > 0
    assert (
        scalar(demo_db, "select count(*) from action_status where is_late and not status_given")
        == 0
    )


def _frames(path: Path) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"select * exclude (source) from {t} order by all").df()
            for t in ("plan_items", "actions", "budget_lines", "funding", "contracts")
        }
    finally:
        con.close()


def test_workbook_and_csv_give_the_same_tables(mini_sources, tmp_path):
    csv_db = tmp_path / "csv.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, csv_db)
    workbook = Workbook()
    workbook.remove(workbook.active)
    folder = mini_sources / "mini"
    for sheet in SHEETS:
        path = folder / f"{sheet.name}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
        worksheet = workbook.create_sheet(sheet.name.capitalize())  # sheet names match any case
        worksheet.append(list(frame.columns))
        for values in frame.itertuples(index=False):
            worksheet.append([_excel_value(v) for v in values])
        path.unlink()
    workbook.save(folder / "plan.xlsx")
    xlsx_db = tmp_path / "xlsx.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, xlsx_db)
    for name, frame in _frames(csv_db).items():
        pd.testing.assert_frame_equal(frame, _frames(xlsx_db)[name], check_dtype=False)


def _excel_value(text: str):
    """Write dates as Excel dates and plain numbers as numbers, as a user's workbook would."""
    import datetime as dt

    if len(text) == 10 and text[2] == "/" and text[5] == "/":
        day, month, year = text.split("/")
        return dt.datetime(int(year), int(month), int(day))
    try:
        return int(text)
    except ValueError:
        return text or None


def test_windows_1252_comma_separated_csv_with_bom_free_headers(mini_sources, tmp_path):
    folder = mini_sources / "mini"
    actions = (folder / "actions.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(folder / "actions.csv", sep=";", dtype=str, keep_default_na=False)
    frame.columns = [
        c.replace("_", " ").title() for c in frame.columns
    ]  # "Code Parent", "Intitule"
    frame.to_csv(folder / "actions.csv", sep=",", index=False, encoding="cp1252", decimal=",")
    assert "Désimperméabiliser" in actions
    output = tmp_path / "w.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    titles = {r[0] for r in con.execute("select title from actions").fetchall()}
    con.close()
    assert "Désimperméabiliser l'espace public" in titles


def test_utf8_bom_and_excel_serial_dates(mini_sources, tmp_path):
    folder = mini_sources / "mini"
    text = (folder / "actions.csv").read_text(encoding="utf-8").replace("31/12/2025", "46022")
    (folder / "actions.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    output = tmp_path / "b.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    end = scalar(con, "select planned_end from actions where code = 'A1'")
    con.close()
    assert str(end) == "2025-12-31"


def test_template_has_every_sheet_header_and_drop_down_lists(tmp_path):
    path = write_template(tmp_path / "modele.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames[0] == "README"
    for sheet in SHEETS:
        headers = [c.value for c in workbook[sheet.name][1]]
        assert headers == sheet.column_names
    ranges = {
        sheet: {
            str(v.sqref).split(":")[0][0] for v in workbook[sheet].data_validations.dataValidation
        }
        for sheet in ("plan", "actions", "financements", "contrats")
    }
    assert "E" in ranges["actions"]  # statut
    assert "C" in ranges["plan"]  # niveau
    assert "D" in ranges["financements"]  # type_financeur
    assert "B" in ranges["contrats"]  # type
    lists = [
        [cell.value for cell in column[1:] if cell.value is not None]
        for column in workbook["listes"].iter_cols()
    ]
    assert ["À venir", "En cours", "Réalisé", "En pause", "Bloqué", "Abandonné"] in lists
    assert ["source", "approximatif", "reconstitué", "démo"] in lists  # provenance


def test_an_empty_template_is_refused_with_a_clear_message(tmp_path):
    folder = tmp_path / "sources" / "nouveau"
    folder.mkdir(parents=True)
    write_template(folder / "plan.xlsx")
    result = pipeline.run_check(folder.parent)
    messages = [str(i) for i in result.issues.errors]
    assert any("feuille « plan »" in m and "aucune ligne de données" in m for m in messages)


def test_build_output_is_complete_after_success(mini_sources, tmp_path):
    output = tmp_path / "ok.duckdb"
    shutil.copy(
        Path(__file__).parent / "fixtures" / "broken" / "binary_named_xlsx" / "plan.xlsx",
        tmp_path / "unrelated.bin",
    )
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    assert scalar(con, "select count(*) from actions") == 3
    con.close()
    assert not list(tmp_path.glob(".ok.duckdb.tmp-*"))


def _mini_workbook(folder: Path) -> Workbook:
    """The mini territory's CSV files as one workbook (CSV files removed)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for sheet in SHEETS:
        path = folder / f"{sheet.name}.csv"
        if path.exists():
            frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
            worksheet = workbook.create_sheet(sheet.name)
            worksheet.append(list(frame.columns))
            for values in frame.itertuples(index=False):
                worksheet.append([_excel_value(v) for v in values])
            path.unlink()
    return workbook


def test_excel_percent_cells_are_read_as_percentages(mini_sources, tmp_path):
    folder = mini_sources / "mini"
    workbook = _mini_workbook(folder)
    cell = workbook["actions"]["F2"]  # avancement of A1
    cell.value = 0.4
    cell.number_format = "0 %"
    workbook.save(folder / "plan.xlsx")
    output = tmp_path / "pct.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    assert scalar(con, "select progress from actions where code = 'A1'") == 40
    con.close()


def test_excel_formula_without_cached_value_is_reported(mini_sources):
    folder = mini_sources / "mini"
    workbook = _mini_workbook(folder)
    workbook["budget"]["E2"] = "=1000*2"  # written by a tool: no cached result
    workbook.save(folder / "plan.xlsx")
    result = pipeline.run_check(mini_sources)
    messages = [str(i) for i in result.issues.errors]
    assert any(
        "formule sans valeur calculée" in m and "feuille « budget », ligne 2" in m for m in messages
    ), messages


def test_ambiguous_thousands_and_signed_numbers():
    from etl import parsing

    with pytest.raises(ValueError, match="ambigu"):
        parsing.parse_amount("12.500")
    assert parsing.parse_number("-3,5") == -3.5
    assert parsing.parse_year("2026.0") == 2026
    with pytest.raises(ValueError, match="année"):
        parsing.parse_year("1.0990")


def test_typed_notes_with_weather_on_actions_and_plan_items(mini_sources, tmp_path):
    """`suivi`: a note is about an action or a plan item, typed, with a météo and its reason;
    `latest_weather` keeps the latest of each."""
    (mini_sources / "mini" / "suivi.csv").write_text(
        "action;element;date;auteur;type;meteo;raison_meteo;texte;demo\n"
        "A1;;15/01/2024;Service eau;avancement;nuageux;Études en retard;Lancement;oui\n"
        "A1;;01/06/2025;Service eau;décision;soleil;Travaux engagés;Marché attribué;oui\n"
        ";E1;01/06/2025;DGS;;orageux;Financements incertains;Point d'étape;oui\n",
        encoding="utf-8",
    )
    output = tmp_path / "w.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    notes = con.execute(
        "select action_id, item_id, note_type, weather from followups order by note_date, text"
    ).fetchall()
    latest = con.execute(
        "select coalesce(action_id, item_id), weather, weather_reason from latest_weather"
        " order by 1"
    ).fetchall()
    con.close()
    assert notes == [
        ("mini:A1", None, "avancement", "nuageux"),
        ("mini:A1", None, "décision", "soleil"),
        (None, "mini:E1", None, "orageux"),
    ]
    assert latest == [
        ("mini:A1", "soleil", "Travaux engagés"),
        ("mini:E1", "orageux", "Financements incertains"),
    ]


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (";;01/06/2025;DGS;;;;Note sans objet;oui", "action", "l'un ou l'autre"),
        ("A1;E1;01/06/2025;DGS;;;;Note double;oui", "action", "l'un ou l'autre"),
        (";E9;01/06/2025;DGS;;;;Élément absent;oui", "element", "élément inconnu"),
        ("A1;;01/06/2025;DGS;;orageux;;Sans raison;oui", "raison_meteo", "météo sans raison"),
        ("A1;;01/06/2025;DGS;bilan;;;Type inconnu;oui", "type", ""),
    ],
)
def test_note_targets_and_weather_are_checked(mini_sources, row, column, message):
    (mini_sources / "mini" / "suivi.csv").write_text(
        "action;element;date;auteur;type;meteo;raison_meteo;texte;demo\n" + row + "\n",
        encoding="utf-8",
    )
    ref = pipeline.Reference.read(pipeline.REFERENCE_DIR).index()
    found = pipeline.check_sources(mini_sources, ref).issues.items
    hits = [i for i in found if i.sheet == "suivi" and i.column == column and message in i.message]
    assert hits, [(i.column, i.message) for i in found]
    assert hits[0].row == 2


def _actions_with(folder: Path, columns: dict[str, list[str]]) -> None:
    """Add columns (one value per action, in file order) to the mini territory's actions."""
    path = folder / "actions.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    for name, values in columns.items():
        frame[name] = values
    frame.to_csv(path, sep=";", index=False)


def _territory_with(folder: Path, **values: str) -> None:
    path = folder / "territoire.csv"
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    for name, value in values.items():
        frame[name] = value
    frame.to_csv(path, sep=";", index=False)


def _place_findings(sources: Path) -> list[tuple]:
    ref = pipeline.Reference.read(pipeline.REFERENCE_DIR).index()
    found = pipeline.check_sources(sources, ref).issues.items
    return [
        (i.sheet, i.row, i.column, i.message)
        for i in found
        if i.column in ("latitude", "communes", "epci", "region")
    ]


# Pompey (54430) and Frouard (54215); Toulouse is 570 km away.
POMPEY, TOULOUSE = ("48,7736", "6,1236"), ("43,6045", "1,4440")


def test_a_point_among_its_communes_is_accepted(mini_sources):
    _actions_with(
        mini_sources / "mini",
        {"latitude": [POMPEY[0], POMPEY[0], POMPEY[0]], "longitude": [POMPEY[1]] * 3},
    )
    assert _place_findings(mini_sources) == []


def test_a_point_far_from_its_communes_is_refused(mini_sources):
    _actions_with(
        mini_sources / "mini",
        {
            "latitude": [TOULOUSE[0], POMPEY[1], TOULOUSE[0]],
            "longitude": [TOULOUSE[1], POMPEY[0], TOULOUSE[1]],
        },
    )
    findings = _place_findings(mini_sources)
    assert [(row, column) for _, row, column, _ in findings] == [
        (2, "latitude"),
        (3, "latitude"),
        (4, "latitude"),
    ]
    first, swapped, no_commune = (message for *_, message in findings)
    assert first.startswith("point à ")
    assert first.endswith(" km des communes de l'action")
    assert 500 < int(first.split()[2]) < 700
    assert swapped.endswith("latitude et longitude inversées ?")
    # A3 names no commune: its point must lie in the territory's EPCI.
    assert "de l'EPCI" in no_commune
    assert "Bassin de Pompey" in no_commune


def test_a_portfolio_region_checks_communes_epci_and_points(mini_sources):
    folder = mini_sources / "mini"
    _territory_with(folder, type="Portefeuille", region="Grand Est")
    _actions_with(folder, {"epci": ["", "", "245400601"]})
    assert _place_findings(mini_sources) == []  # Pompey is in Grand Est
    _territory_with(folder, type="Portefeuille", region="32")
    messages = {(row, column, message) for _, row, column, message in _place_findings(mini_sources)}
    assert messages == {
        (2, "communes", "commune hors de la région Hauts-de-France"),
        (3, "communes", "commune hors de la région Hauts-de-France"),
        (4, "epci", "EPCI hors de la région Hauts-de-France"),
    }


def test_an_unknown_region_is_refused(mini_sources):
    _territory_with(mini_sources / "mini", region="Gaule")
    assert _place_findings(mini_sources) == [
        (
            "territoire",
            2,
            "region",
            "région inconnue du référentiel (code INSEE, ex. 32, ou nom, ex. Hauts-de-France)",
        )
    ]
