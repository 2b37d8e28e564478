"""Snapshots kept across builds, the change list between two of them, and the pages using them."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from dashboard import changes
from dashboard.formatting import format_date
from etl import pipeline
from etl.issues import ValidationError
from tests.test_pages import metric, run_page, table_with

SAINT_DIZIER = pipeline.SOURCES_DIR / "saint-dizier"


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=";"))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=";")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture
def two_versions(tmp_path: Path) -> tuple[Path, Path]:
    """Saint-Dizier's real demo sources (without their declared earlier state), built once,
    then edited the way a chargé de mission would between two commissions and built again."""
    sources = tmp_path / "sources"
    territory = sources / "saint-dizier"
    shutil.copytree(SAINT_DIZIER, territory)
    (territory / "etats_anterieurs.csv").unlink()
    output = tmp_path / "warehouse.duckdb"
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)

    actions = read_rows(territory / "actions.csv")
    by_code = {row["code"]: row for row in actions}
    by_code["P1.A1.O1.a2"].update(statut="Réalisé", avancement="100", fin_reelle="15/11/2026")
    by_code["P1.A1.O2.a1"].update(fin_prevue="31/12/2028")
    by_code["P1.A1.O1.a1"].update(avancement="60")
    by_code["P1.A2.O1.a1"].update(statut="Bloqué")
    removed = "P2.A3.O3.a3"
    actions = [row for row in actions if row["code"] != removed]
    actions.append({**actions[0], "code": "P1.A1.O1.a9", "intitule": "Action ajoutée"})
    write_rows(territory / "actions.csv", actions)
    for name in ("budget.csv", "financements.csv", "suivi.csv"):
        rows = [row for row in read_rows(territory / name) if row["action"] != removed]
        write_rows(territory / name, rows)
    funding = read_rows(territory / "financements.csv")
    granted_line = next(row for row in funding if row["action"] == "P1.A1.O1.a1")
    funding.append({**granted_line, "financeur": "Banque des territoires", "accorde": "100000",
                    "demande": "100000", "verse": ""})  # fmt: skip
    write_rows(territory / "financements.csv", funding)
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    return sources, output


def snapshot_rows(output: Path, territory: str = "saint-dizier"):
    con = duckdb.connect(str(output), read_only=True)
    try:
        snaps = con.execute(
            "select * from snapshots where territory_id = ? order by taken_at, seq", [territory]
        ).df()
        rows = {
            sid: con.execute("select * from snapshot_actions where snapshot_id = ?", [sid]).df()
            for sid in snaps["snapshot_id"]
        }
    finally:
        con.close()
    return snaps, rows


def test_each_build_that_changes_the_plan_adds_a_snapshot(two_versions):
    sources, output = two_versions
    snaps, rows = snapshot_rows(output)
    assert snaps["snapshot_id"].tolist() == ["saint-dizier#1", "saint-dizier#2"]
    assert snaps["origin"].tolist() == ["build", "build"]
    assert rows["saint-dizier#1"]["code"].nunique() == 56
    # A rebuild that changes nothing adds nothing: "previous" stays a different state.
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    again, _ = snapshot_rows(output)
    assert again["snapshot_id"].tolist() == ["saint-dizier#1", "saint-dizier#2"]
    # Other territories of the same warehouse keep one snapshot each.
    con = duckdb.connect(str(output), read_only=True)
    assert con.execute("select count(*) from snapshots").fetchone()[0] == 2
    con.close()


def test_change_list_between_the_two_versions(two_versions):
    _, output = two_versions
    _, rows = snapshot_rows(output)
    found = changes.build_change_list(rows["saint-dizier#1"], rows["saint-dizier#2"])
    listed = {(r.code, r.kind, r.before, r.after) for r in found.itertuples()}
    before = rows["saint-dizier#1"].set_index("code")
    old_end = format_date(before.loc["P1.A1.O2.a1", "planned_end"])
    slip = (dt.date(2028, 12, 31) - before.loc["P1.A1.O2.a1", "planned_end"].date()).days
    old_granted = float(before.loc["P1.A1.O1.a1", "funding_granted"])
    nbsp = "\u00a0"
    expected = {
        ("P1.A1.O1.a9", "added", "—", before.loc["P1.A1.O1.a1", "status"]),
        ("P2.A3.O3.a3", "removed", before.loc["P2.A3.O3.a3", "status"], "—"),
        ("P1.A1.O1.a2", "finished", "En cours", "Réalisé"),
        ("P1.A1.O1.a2", "progress", f"85{nbsp}%", f"100{nbsp}%"),
        ("P1.A1.O2.a1", "slipped", old_end, f"31/12/2028 (+{slip} j)"),
        ("P1.A1.O1.a1", "progress", f"55{nbsp}%", f"60{nbsp}%"),
        ("P1.A2.O1.a1", "status", before.loc["P1.A2.O1.a1", "status"], "Bloqué"),
        (
            "P1.A1.O1.a1",
            "new_funding",
            changes.format_euros(old_granted),
            changes.format_euros(old_granted + 100_000),
        ),
        (
            "P1.A1.O1.a1",
            "requested",
            changes.format_euros(before.loc["P1.A1.O1.a1", "funding_requested"]),
            changes.format_euros(float(before.loc["P1.A1.O1.a1", "funding_requested"]) + 100_000),
        ),
    }
    assert listed == expected
    counts = dict(changes.count_changes(found))
    assert counts["Nouvelle action"] == 1
    assert counts["Action retirée"] == 1
    assert counts["Fin prévue avancée"] == 0


def test_history_survives_an_invalid_publication(two_versions):
    sources, output = two_versions
    published = output.read_bytes()
    actions = sources / "saint-dizier" / "actions.csv"
    actions.write_text(actions.read_text(encoding="utf-8").replace(";En cours;", ";Fini;", 1))
    with pytest.raises(ValidationError):
        pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    assert output.read_bytes() == published


def test_unreadable_previous_warehouse_costs_the_history_not_the_build(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SAINT_DIZIER, sources / "saint-dizier")
    output = tmp_path / "warehouse.duckdb"
    output.write_bytes(b"not a duckdb file")
    pipeline.run_build(sources, pipeline.REFERENCE_DIR, output)
    snaps, _ = snapshot_rows(output)
    assert snaps["origin"].tolist() == ["declared", "build"]


def test_declared_earlier_states_become_a_snapshot(demo_db):
    snaps = demo_db.execute(
        "select snapshot_id, origin, taken_at, n_actions, is_demo from snapshots"
        " where territory_id = 'saint-dizier' order by taken_at"
    ).fetchall()
    declared = read_rows(SAINT_DIZIER / "etats_anterieurs.csv")
    assert snaps[0][:2] == ("saint-dizier@2026-09-22", "declared")
    assert snaps[0][3] == len(declared)
    assert snaps[0][4] is True  # invented states are flagged as demonstration data
    assert snaps[1][1] == "build"


def test_declared_state_of_an_unknown_action_is_refused(tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(SAINT_DIZIER, sources / "saint-dizier")
    path = sources / "saint-dizier" / "etats_anterieurs.csv"
    rows = read_rows(path)
    rows[4]["action"] = "P9.Z9"
    rows[7]["action"] = rows[6]["action"]
    write_rows(path, rows)
    result = pipeline.run_check(sources, pipeline.REFERENCE_DIR)
    messages = [str(e) for e in result.issues.errors]
    assert any(
        "etats_anterieurs.csv" in m and "ligne 6" in m and "« action »" in m and "P9.Z9" in m
        for m in messages
    ), messages
    assert any("ligne 9" in m and "action en double pour cette date" in m for m in messages)


def test_overview_kpis_show_their_change_since_the_previous_snapshot(app_env, demo_db):
    at = run_page("overview", "200068666")
    before = dict(
        demo_db.execute(
            "select status, count(*) from snapshot_actions"
            " where snapshot_id = 'saint-dizier@2026-09-22' group by status"
        ).fetchall()
    )
    now = dict(
        demo_db.execute(
            "select status, count(*) from actions where territory_id = 'saint-dizier'"
            " group by status"
        ).fetchall()
    )
    done = next(m for m in at.metric if m.label == "Réalisées")
    assert done.value == str(now["Réalisé"])
    assert done.proto.delta == f"{now['Réalisé'] - before['Réalisé']:+d}"
    assert "22/09/2026" in done.proto.delta_description
    total = next(m for m in at.metric if m.label == "Actions")
    assert total.proto.delta == f"{sum(now.values()) - sum(before.values()):+d}"


def test_overview_without_previous_snapshot_shows_no_delta(app_env):
    at = run_page("overview", "245400601")  # Pompey: one snapshot
    assert metric(at, "Actions")
    assert all(not m.proto.delta for m in at.metric)


def test_changes_page_lists_the_differences(app_env, demo_db):
    at = run_page("changes", "200068666")
    assert not at.exception
    shown = table_with(at, "Changement")
    before = demo_db.execute(
        "select * from snapshot_actions where snapshot_id = 'saint-dizier@2026-09-22'"
    ).df()
    after_id = demo_db.execute(
        "select snapshot_id from snapshots where territory_id = 'saint-dizier'"
        " order by taken_at desc limit 1"
    ).fetchone()[0]
    after = demo_db.execute("select * from snapshot_actions where snapshot_id = ?", [after_id]).df()
    expected = changes.build_change_list(before, after)
    assert len(shown) == len(expected) > 10
    assert shown["Code"].tolist() == expected["code"].tolist()
    assert metric(at, "Terminée") == str(
        expected.loc[expected["kind"] == "finished", "action_id"].nunique()
    )
    filtered = run_page("changes", "200068666")
    filtered.multiselect(key="change_kinds").set_value(["Fin prévue repoussée"]).run()
    assert set(table_with(filtered, "Changement")["Changement"]) == {"Fin prévue repoussée"}


def test_changes_page_with_a_single_snapshot_says_so(app_env):
    at = run_page("changes", "245400601")
    assert not at.exception
    assert any("Un seul instantané" in i.value for i in at.info)
