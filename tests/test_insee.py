"""INSEE parsers on fixture files in the official layout (Windows-1252, `;`, secret values)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from etl import insee, pipeline
from etl.issues import IssueList

FIXTURES = Path(__file__).parent / "fixtures" / "insee"


def test_comparateur_file_is_parsed_with_secrets_codes_and_years():
    issues = IssueList()
    frame = insee.parse_insee_file(
        FIXTURES / "base_comparateur_communes.csv", "base_comparateur_communes.csv", issues
    )
    assert not issues.errors
    pop = frame[(frame["insee_code"] == "52448") & (frame["indicator"] == "POP")]
    assert dict(zip(pop["year"], pop["value"], strict=True)) == {2021: 23013, 2015: 24932}
    assert pop["label"].iloc[0] == "Population"
    secret = frame[(frame["insee_code"] == "52550") & (frame["indicator"] == "TP60")]
    assert secret["is_secret"].iloc[0]
    assert secret["value"].isna().iloc[0]
    # Missing values (empty cells) are absent, not zero.
    assert frame[(frame["insee_code"] == "52331") & (frame["indicator"] == "MED")].empty
    # Corsican codes stay text; undated SUPERF takes the file's millésime.
    superf = frame[(frame["insee_code"] == "2A004") & (frame["indicator"] == "SUPERF")]
    assert superf["year"].iloc[0] == 2021
    assert superf["value"].iloc[0] == 82
    # Unknown variable codes are kept, labelled with their code.
    unknown = frame[frame["indicator"] == "RP_PROP"]
    assert set(unknown["label"]) == {"P21_RP_PROP"}
    assert len(unknown) == 4


def test_unreadable_value_names_file_row_and_column():
    issues = IssueList()
    insee.parse_insee_file(FIXTURES / "broken_value.csv", "broken_value.csv", issues)
    assert any(
        "broken_value.csv" in str(i) and "ligne 2" in str(i) and "P21_POP" in str(i)
        for i in issues.errors
    )


def test_insee_files_beside_the_sources_are_loaded(mini_sources, tmp_path):
    folder = mini_sources.parent / "indicators"
    folder.mkdir()
    shutil.copy(FIXTURES / "base_comparateur_communes.csv", folder)
    output = tmp_path / "insee.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    value = con.execute(
        "select value, source, millesime from indicators"
        " where insee_code = '52448' and indicator = 'MED' and year = 2021"
    ).fetchone()
    secrets = con.execute("select count(*) from indicators where is_secret").fetchone()[0]
    source = con.execute(
        "select millesime from sources where file = 'indicators/base_comparateur_communes.csv'"
    ).fetchone()[0]
    con.close()
    assert value == (18840, "INSEE, base_comparateur_communes.csv", "2021")
    assert secrets == 2
    assert "2015" in source
    assert "2021" in source


def test_territory_values_sum_counts_and_weight_rates(mini_sources, tmp_path):
    from dashboard import indicators
    from dashboard.queries import read_sql

    folder = mini_sources.parent / "indicators"
    folder.mkdir()
    (folder / "base.csv").write_bytes(
        "CODGEO;LIBGEO;P21_POP;MED21;TP6021\n"
        "54430;Pompey;5000;20000;10,0\n"
        "54215;Frouard;7000;23000;s\n".encode("cp1252")
    )
    output = tmp_path / "t.duckdb"
    pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    con = duckdb.connect(str(output), read_only=True)
    values = con.execute(read_sql("territory_insee_values"), {"territory": "mini"}).df()
    con.close()
    table = indicators.territory_values(values, 13).set_index("indicator")
    assert table.loc["POP", "value"] == 12000
    assert table.loc["POP", "communes"] == "2 / 13"
    assert not table.loc["POP", "complete"]
    assert table.loc["MED", "value"] == (5000 * 20000 + 7000 * 23000) / 12000
    assert table.loc["TP60", "value"] == 10.0  # Frouard's rate is secret: only Pompey counts


def build_with_indicators(mini_sources, tmp_path, *files: Path) -> tuple[Path, IssueList]:
    folder = mini_sources.parent / "indicators"
    folder.mkdir(exist_ok=True)
    for path in files:
        shutil.copy(path, folder)
    output = tmp_path / "i.duckdb"
    result = pipeline.run_build(mini_sources, pipeline.REFERENCE_DIR, output)
    return output, result.issues


def test_other_publisher_file_without_mapping_is_refused_with_its_columns(mini_sources, tmp_path):
    """Not loaded, and the build of the plans goes on: one bad file blocks only itself."""
    output, issues = build_with_indicators(
        mini_sources, tmp_path, FIXTURES / "autre_editeur.csv", FIXTURES / "broken_value.csv"
    )
    texts = [str(i) for i in issues.warnings]
    assert any(
        "indicators/autre_editeur.csv" in t
        and "colonnes lues : insee_com, nom_commune, code_postal" in t
        and "forme attendue : une colonne CODGEO" in t
        for t in texts
    ), texts
    assert any("broken_value.csv" in t and "fichier d'indicateurs non chargé" in t for t in texts)
    con = duckdb.connect(str(output), read_only=True)
    loaded = con.execute("select count(*) from sources where file like 'indicators/%'").fetchone()
    actions = con.execute("select count(*) from actions").fetchone()[0]
    con.close()
    assert loaded == (0,)
    assert actions == 3


def test_other_publisher_file_is_read_through_its_mapping(mini_sources, tmp_path):
    output, issues = build_with_indicators(
        mini_sources, tmp_path, FIXTURES / "autre_editeur.csv", FIXTURES / "autre_editeur.toml"
    )
    con = duckdb.connect(str(output), read_only=True)
    rows = con.execute(
        "select insee_code, indicator, year, value from indicators"
        " where source = 'INSEE, autre_editeur.csv' order by 1, 2"
    ).fetchall()
    con.close()
    # A point is decimal in an indicator file (12.375 %); postal codes are not indicators.
    assert rows == [
        ("54215", "POP", 2021, 7000.0),
        ("54215", "TCHOM", 2020, 9.5),
        ("54430", "POP", 2021, 5000.0),
        ("54430", "TCHOM", 2020, 12.375),
    ]
    assert any(
        i.column == "code_postal" and "colonne non lue" in i.message for i in issues.warnings
    )


def test_insee_columns_that_are_not_variables_are_reported_not_loaded(tmp_path):
    path = tmp_path / "base.csv"
    path.write_text("CODGEO;LIBGEO;CODE_POSTAL;P21_POP\n54430;Pompey;54340;5000\n")
    issues = IssueList()
    frame = insee.parse_insee_file(path, "base.csv", issues)
    assert set(frame["indicator"]) == {"POP"}
    assert [(i.column, i.message[:16]) for i in issues.warnings] == [
        ("CODE_POSTAL", "colonne non lue ")
    ]
