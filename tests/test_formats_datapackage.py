"""Open-data package: validated by frictionless, read back by DuckDB and pandas, compared with the
warehouse; the formats' command line (quiet on success, exit code 2 in French)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from frictionless import Package
from pptx import Presentation

from dashboard.formats import __main__ as formats_cli
from dashboard.formats import datapackage
from dashboard.formats.common import PROVENANCE_LEVELS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def package(app_env, tmp_path_factory) -> Path:
    return datapackage.build_package("200068666", tmp_path_factory.mktemp("paquet"))


def test_package_is_valid_and_documented(package):
    report = Package(str(package)).validate()
    assert report.valid, report.flatten(["taskName", "rowNumber", "fieldName", "note"])[:5]
    descriptor = json.loads(package.read_text(encoding="utf-8"))
    assert descriptor["provenanceLevels"] == PROVENANCE_LEVELS
    assert descriptor["hasDemoData"] is True
    names = {r["name"] for r in descriptor["resources"]}
    for table in datapackage.TABLES:
        assert {table.replace("_", "-"), table.replace("_", "-") + "-parquet"} <= names
    for resource in descriptor["resources"]:
        for field in resource["schema"]["fields"]:
            assert field.get("description"), (resource["name"], field["name"])


@pytest.mark.parametrize("table", ["actions", "funding", "budget_lines", "plan_items", "contracts"])
def test_duckdb_and_pandas_read_back_the_warehouse_rows(package, demo_db, table):
    folder = package.parent / "data"
    expected = demo_db.execute(
        f"select count(*) from {table} where territory_id = 'saint-dizier'"  # name from the list
    ).fetchone()[0]
    assert expected
    for reader in ("read_csv", "read_parquet"):
        suffix = "csv" if reader == "read_csv" else "parquet"
        count = duckdb.connect().execute(
            f"select count(*) from {reader}('{folder / table}.{suffix}')"
        )
        assert count.fetchone()[0] == expected
    csv = pd.read_csv(folder / f"{table}.csv", dtype={"code": str})
    parquet = pd.read_parquet(folder / f"{table}.parquet")
    assert len(csv) == len(parquet) == expected
    assert set(csv["provenance"]) <= set(PROVENANCE_LEVELS)
    assert (csv["provenance"] == "demo").tolist() == csv["is_demo"].tolist()


def test_amounts_dates_and_lists_survive(package, demo_db):
    folder = package.parent / "data"
    granted = demo_db.execute(
        "select sum(granted) from funding where territory_id = 'saint-dizier'"
    ).fetchone()[0]
    for reader, suffix in (("read_csv", "csv"), ("read_parquet", "parquet")):
        total = duckdb.connect().execute(
            f"select sum(granted) from {reader}('{folder}/funding.{suffix}')"
        )
        assert float(total.fetchone()[0]) == pytest.approx(float(granted))
    themes = demo_db.execute(
        "select code, themes, planned_end from actions where territory_id = 'saint-dizier' "
        "order by sort_order limit 1"
    ).fetchone()
    parquet = (
        duckdb.connect()
        .execute(
            f"select themes, planned_end from read_parquet('{folder}/actions.parquet') "
            f"where code = '{themes[0]}'"
        )
        .fetchone()
    )
    assert list(parquet[0]) == list(themes[1])
    assert parquet[1] == themes[2]
    csv = pd.read_csv(folder / "actions.csv", dtype=str, keep_default_na=False)
    assert json.loads(csv.iloc[0]["themes"]) == list(themes[1])
    assert csv.iloc[0]["planned_end"] == themes[2].isoformat()


def test_status_not_given_is_carried(app_env, demo_db, tmp_path):
    territory, n_not_given = demo_db.execute(
        "select territory_id, count(*) filter (where not status_given) as n from actions "
        "group by all order by n desc limit 1"
    ).fetchone()
    assert n_not_given
    path = datapackage.build_package(territory, tmp_path)
    actions = pd.read_parquet(path.parent / "data" / "actions.parquet")
    assert (actions["status_provenance"] == "not_given").sum() == n_not_given


def test_zip_holds_the_package(app_env):
    archive = zipfile.ZipFile(__import__("io").BytesIO(datapackage.build_package_zip("245400601")))
    names = set(archive.namelist())
    assert "datapackage.json" in names
    assert {"data/actions.csv", "data/actions.parquet"} <= names


def cli(*args: str, env_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PILOTAGE_WAREHOUSE": str(env_path)}
    return subprocess.run(
        [sys.executable, "-m", "dashboard.formats", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=False,
    )


def in_process(capsys, *args: str) -> SimpleNamespace:
    """The same command run by its `main` in this process (faster than a new interpreter)."""
    try:
        code = formats_cli.main(list(args))
    except SystemExit as leaving:  # argparse refuses before main returns
        code = leaving.code
    out, err = capsys.readouterr()
    return SimpleNamespace(returncode=code, stdout=out, stderr=err)


def test_cli_is_quiet_on_success(demo_warehouse, tmp_path):
    out = tmp_path / "p1.pptx"
    done = cli(
        "deck",
        "--territoire",
        "200068666",
        "--perimetre",
        "element:P1",
        "--sortie",
        str(out),
        env_path=demo_warehouse,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert len(Presentation(str(out)).slides) > 3
    done = cli(
        "datapackage",
        "--territoire",
        "242100410",
        "--sortie",
        str(tmp_path / "dijon"),
        env_path=demo_warehouse,
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert (tmp_path / "dijon" / "datapackage.json").is_file()


def test_cli_refuses_in_french(app_env, capsys, tmp_path):
    done = in_process(capsys, "deck", "--territoire", "999")
    assert done.returncode == 2
    assert "Territoire « 999 » inconnu" in done.stderr
    done = in_process(capsys, "scdl", "--territoire", "200068666")
    assert done.returncode == 2
    assert "arguments obligatoires manquants : --siret-attribuant" in done.stderr
    done = in_process(capsys, "scdl", "--territoire", "200068666", "--siret-attribuant", "123")
    assert done.returncode == 2
    assert "SIRET de l'attribuant « 123 » invalide" in done.stderr
    done = in_process(capsys, "diaporama")
    assert done.returncode == 2
    assert "« diaporama » inconnu" in done.stderr
    done = in_process(
        capsys,
        "scdl-rapprochement",
        "--territoire",
        "200068666",
        "--fichier",
        str(tmp_path / "absent.csv"),
    )
    assert done.returncode == 2
    assert "fichier introuvable" in done.stderr


def test_cli_reports_what_it_does_not_keep(app_env, capsys, tmp_path):
    """Nothing lost silently: unmapped columns and unpublished lines are named on stderr."""
    example = ROOT / "data" / "schemas" / "projets-territoire" / "exemple-valide.csv"
    target = tmp_path / "import"
    done = in_process(
        capsys,
        "projets-import",
        "--fichier",
        str(example),
        "--siren",
        "245400601",
        "--nom",
        "Exemple",
        "--dossier",
        str(target),
    )
    assert done.returncode == 0
    assert "porteurReferentEmail" in done.stderr
    assert sorted(p.name for p in target.iterdir()) == [
        "actions.csv",
        "budget.csv",
        "plan.csv",
        "territoire.csv",
    ]
    done = in_process(
        capsys,
        "scdl",
        "--territoire",
        "200068666",
        "--siret-attribuant",
        "20006866600011",
        "--sortie",
        str(tmp_path / "s.csv"),
    )
    assert done.returncode == 0
    assert "non publiée, à compléter" in done.stderr
