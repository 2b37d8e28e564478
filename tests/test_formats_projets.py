"""projets-territoire: the export validated against the Communs' schema, the import converted to
our template and built by the real ETL, round trip compared field by field."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from dashboard.formats import projets_territoire as pt
from dashboard.formats.common import FormatError, read_upload, schema_fields, validate_csv
from dashboard.formats.upstream import SCHEMAS_DIR
from etl import pipeline
from tests.conftest import FORMULA_TITLE

SAINT_DIZIER = "200068666"
EXAMPLE = SCHEMAS_DIR / "projets-territoire" / "exemple-valide.csv"


def build_converted(imported: pt.ProjetsImport, tmp_path: Path, folder: str) -> Path:
    """The converted sheets as CSV files in a sources folder, built by the ETL."""
    target = tmp_path / "sources" / folder
    target.mkdir(parents=True)
    for name, data in pt.sheets_to_csv(imported.sheets).items():
        (target / name).write_bytes(data)
    output = tmp_path / "warehouse.duckdb"
    pipeline.run_build(tmp_path / "sources", pipeline.REFERENCE_DIR, output)
    return output


def text_or_none(value: object) -> str | None:
    return None if value is None or pd.isna(value) or value == "" else str(value)


@pytest.fixture(scope="module")
def exported(app_env) -> bytes:
    data, withheld = pt.export_projets(SAINT_DIZIER, include_demo=True)
    assert withheld == []
    return data


def test_export_validates_against_the_schema(exported, demo_db):
    assert validate_csv(exported, "projets-territoire") == []
    rows = read_upload(exported, "projets.csv")
    assert list(rows.columns) == schema_fields("projets-territoire")
    n_actions = demo_db.execute(
        "select count(*) from actions where territory_id = 'saint-dizier'"
    ).fetchone()[0]
    assert len(rows) == n_actions
    assert rows["id"].is_unique
    # Stable ids: the same action has the same UUID at every export.
    assert rows["id"].iloc[0] == str(uuid.uuid5(pt.NAMESPACE, "saint-dizier:P1.A1.O1.a1"))


def test_status_mapping(exported, demo_db):
    rows = read_upload(exported, "projets.csv").set_index("id")
    actions = demo_db.execute(
        "select action_id, status, status_given, is_late from action_status "
        "where territory_id = 'saint-dizier'"
    ).df()
    for action in actions.itertuples():
        phase = rows.loc[str(uuid.uuid5(pt.NAMESPACE, action.action_id)), "phaseStatut"]
        if not action.status_given or action.status == "À venir":
            assert phase == ""
        elif action.status == "En cours" and action.is_late:
            assert phase == "En retard"
        else:
            assert phase == pt.STATUS_TO_PHASE[action.status]
    assert {"Terminé", "En cours", "En retard"} <= set(rows["phaseStatut"])


def test_round_trip_through_the_etl(exported, demo_db, tmp_path):
    imported = pt.import_projets(exported, "projets.csv", SAINT_DIZIER, "Saint-Dizier (import)")
    assert imported.errors == []
    warehouse = build_converted(imported, tmp_path, "saint-dizier-import")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        back = con.execute(
            """select a.code, a.title, a.description, a.status, a.planned_start, a.themes,
                      r.title as programme, c.planned
               from actions a join plan_items r on r.item_id = a.root_item_id
               left join action_costs c using (action_id)"""
        ).df()
    finally:
        con.close()
    original = demo_db.execute(
        """select a.action_id, a.title, a.description, a.status, a.status_given, a.is_late,
                  a.planned_start, a.themes, c.planned,
                  (select arg_max(k.contract_type, coalesce(f.granted, f.requested, 0))
                   from funding f join contracts k using (contract_id)
                   where f.action_id = a.action_id) as programme
           from action_status a left join action_costs c using (action_id)
           where a.territory_id = 'saint-dizier'"""
    ).df()
    assert len(back) == len(original)
    back = back.set_index("code")
    for row in original.itertuples():
        got = back.loc[str(uuid.uuid5(pt.NAMESPACE, row.action_id))]
        assert got["title"] == row.title
        assert text_or_none(got["description"]) == text_or_none(row.description)
        # Lateness is derived on both sides. « À venir » has no phaseStatut: it comes back
        # not given (empty, « Non renseigné »), like a status the source left empty.
        if row.status in ("À venir", "Non renseigné"):
            assert text_or_none(got["status"]) is None
        else:
            assert got["status"] == row.status
        assert pd.Timestamp(got["planned_start"]) == pd.Timestamp(row.planned_start)
        assert list(got["themes"]) == list(row.themes)
        assert got["programme"] == (text_or_none(row.programme) or pt.NO_PROGRAMME)
        if pd.isna(row.planned):
            assert pd.isna(got["planned"])
        else:
            assert float(got["planned"]) == round(float(row.planned))


def test_published_example_imports_and_builds(tmp_path):
    imported = pt.import_projets(EXAMPLE.read_bytes(), EXAMPLE.name, "245400601", "Exemple")
    assert imported.errors == []
    assert any("porteurReferentEmail" in n for n in imported.notes)  # personal data not kept
    actions = imported.sheets["actions"]
    assert list(actions["statut"]) == ["En cours", "Réalisé", "En cours", "Abandonné", "En pause"]
    warehouse = build_converted(imported, tmp_path, "exemple")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        planned = con.execute("select sum(planned) from budget_lines").fetchone()[0]
        roots = con.execute("select count(*) from plan_items where depth = 1").fetchone()[0]
    finally:
        con.close()
    example = pd.read_csv(EXAMPLE, dtype=str)
    assert float(planned) == example["budgetPrevisionnel"].astype(float).sum()
    assert roots == example["programme"].nunique()


def test_bad_files_are_reported_by_row_and_column(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace(',"En cours",CRTE', ",Peut-être,CRTE", 1)
    imported = pt.import_projets(text.encode("utf-8"), "projets.csv", "245400601", "Exemple")
    assert any("ligne 2" in e and "phaseStatut" in e for e in imported.errors)
    with pytest.raises(FormatError, match="colonnes projets-territoire absentes"):
        pt.import_projets(b"titre;statut\na;b\n", "autre.csv", "245400601", "Exemple")


def test_formulas_are_neutralised_then_restored(tampered_warehouse, monkeypatch):
    """A title that a spreadsheet would run is quoted in the CSV, restored on import, and a
    text cell (never a formula) in the workbook given to people."""
    monkeypatch.setenv("PILOTAGE_WAREHOUSE", str(tampered_warehouse))
    data, _ = pt.export_projets(SAINT_DIZIER, include_demo=True)
    rows = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert "'" + FORMULA_TITLE in set(rows["nom"])
    assert FORMULA_TITLE not in set(rows["nom"])
    imported = pt.import_projets(data, "projets.csv", SAINT_DIZIER, "Saint-Dizier")
    assert FORMULA_TITLE in set(imported.sheets["actions"]["intitule"])
    workbook = openpyxl.load_workbook(io.BytesIO(pt.sheets_to_workbook(imported.sheets)))
    cells = [c for row in workbook["actions"].iter_rows() for c in row if c.value == FORMULA_TITLE]
    assert cells
    assert all(c.data_type == "s" for c in cells)


def test_demo_actions_are_not_shared_by_default(app_env, demo_db):
    """The schema carries no provenance: invented values stay home unless asked for a trial."""
    data, withheld = pt.export_projets(SAINT_DIZIER)
    demo = demo_db.execute(
        "select code from actions where territory_id = 'saint-dizier' and is_demo"
    ).fetchall()
    assert sorted(withheld) == sorted(c for (c,) in demo)
    rows = read_upload(data, "projets.csv")
    n_sourced = demo_db.execute(
        "select count(*) from actions where territory_id = 'saint-dizier' and not is_demo"
    ).fetchone()[0]
    assert len(rows) == n_sourced
    assert validate_csv(data, "projets-territoire") == []
    real, withheld = pt.export_projets("200053742")  # a real portfolio: everything goes
    assert withheld == []
    assert len(read_upload(real, "projets.csv")) == 45
