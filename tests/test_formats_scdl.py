"""SCDL Subventions: the export validated by frictionless against the published schema, a funder's
file reconciled with the plan's « accordé » amounts."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.formats import scdl
from dashboard.formats.common import (
    FormatError,
    read_upload,
    schema_fields,
    siret_is_valid,
    to_csv_bytes,
    validate_csv,
)
from dashboard.formats.upstream import SCHEMAS_DIR

SAINT_DIZIER = "200068666"
TERRITORY_SIRET = "20006866600011"


def valid_siret(siren: str) -> str:
    """The first establishment number of `siren` whose Luhn key is right (test input)."""
    return next(f"{siren}{n:05d}" for n in range(1, 100000) if siret_is_valid(f"{siren}{n:05d}"))


def filled_complements(lines: pd.DataFrame, beneficiary: str = "Commune de Saint-Dizier"):
    complements = scdl.build_complement_template(lines)
    complements["nomBeneficiaire"] = beneficiary
    complements["idBeneficiaire"] = valid_siret("215204484")
    complements["conditionsVersement"] = "échelonné"
    complements["datesPeriodeVersement"] = "01/02/2024/31/12/2025"
    complements["notificationUE"] = "non"
    return complements


def test_published_example_is_valid_and_siret_checked():
    example = (SCHEMAS_DIR / "scdl-subventions" / "exemple_valide.csv").read_bytes()
    assert validate_csv(example, "scdl-subventions") == []
    assert siret_is_valid("21060004500392")
    assert not siret_is_valid("21060004500393")


def test_export_lists_the_lines_the_territory_awards(app_env, demo_db):
    territory, funding = scdl.load_funding(SAINT_DIZIER)
    expected = demo_db.execute(
        """select a.code, f.granted from funding f join actions a using (action_id)
        where f.territory_id = 'saint-dizier' and f.funder_type = 'EPCI'
        and f.granted is not null"""
    ).fetchall()
    assert expected
    bare = scdl.build_scdl_export(territory, funding, TERRITORY_SIRET)
    # Nothing the plan does not hold is guessed: without the complement, every line waits.
    assert bare.rows.empty
    assert sorted(bare.incomplete["action"]) == sorted(code for code, _ in expected)
    assert bare.incomplete["manque"].str.contains("nomBeneficiaire").all()

    lines = scdl.awarded_lines(territory, funding)
    withheld = scdl.build_scdl_export(
        territory, funding, TERRITORY_SIRET, filled_complements(lines)
    )
    # Saint-Dizier's amounts are invented and SCDL has no provenance field: withheld by default.
    assert withheld.rows.empty
    assert withheld.incomplete["manque"].str.startswith(scdl.DEMO_WITHHELD).all()
    export = scdl.build_scdl_export(
        territory, funding, TERRITORY_SIRET, filled_complements(lines), include_demo=True
    )
    assert export.incomplete.empty
    data = export.to_csv()
    assert scdl.validate_scdl(data) == []  # frictionless, 0 errors, and the SIRET checks
    rows = read_upload(data, "subventions.csv")
    assert list(rows.columns) == schema_fields("scdl-subventions")
    assert sorted(rows["montant"].astype(float)) == sorted(float(g) for _, g in expected)
    assert set(rows["idAttribuant"]) == {TERRITORY_SIRET}
    assert set(rows["datesPeriodeVersement"]) == {"2024-02-01/2025-12-31"}
    assert set(rows["nature"]) == {"aide en numéraire"}


def test_export_neutralises_formulas_and_refuses_bad_siret(app_env):
    territory, funding = scdl.load_funding(SAINT_DIZIER)
    lines = scdl.awarded_lines(territory, funding)
    export = scdl.build_scdl_export(
        territory, funding, TERRITORY_SIRET, filled_complements(lines, "=HYPERLINK(1)"), True
    )
    assert b"'=HYPERLINK(1)" in export.to_csv()
    with pytest.raises(FormatError, match="invalide"):
        scdl.build_scdl_export(territory, funding, "20006866600012")
    with pytest.raises(FormatError, match="SIREN 200068666"):
        scdl.build_scdl_export(territory, funding, valid_siret("245400601"))
    broken = filled_complements(lines)
    broken["notificationUE"] = "peut-être"
    broken["datesPeriodeVersement"] = "bientôt"
    export = scdl.build_scdl_export(territory, funding, TERRITORY_SIRET, broken, True)
    assert export.rows.empty
    assert export.incomplete["manque"].str.contains("notificationUE").all()
    assert export.incomplete["manque"].str.contains("datesPeriodeVersement").all()


def funder_file(funding: pd.DataFrame) -> tuple[bytes, pd.DataFrame]:
    """A Région Grand Est SCDL file about Saint-Dizier built from the plan's lines: the first as
    in the plan, the second with another amount, the third left out, plus one subvention the
    plan does not know and one to another beneficiary."""
    lines = funding[(funding["funder"] == "Région Grand Est") & funding["granted"].notna()]
    lines = lines.reset_index(drop=True)
    region = valid_siret("200052264")
    rows = []
    for index, line in lines.iterrows():
        if index == 2:
            continue
        amount = float(line["granted"]) + (1000 if index == 1 else 0)
        rows.append(
            {
                "objet": line["action_title"].upper(),
                "montant": f"{amount:.2f}",
                "dateConvention": pd.Timestamp(line["decision_date"]).date().isoformat(),
                "idBeneficiaire": TERRITORY_SIRET,
            }
        )
    rows.append(
        {
            "objet": "Festival régional des arts de la rue",
            "montant": "15000.00",
            "dateConvention": "2024-05-02",
            "idBeneficiaire": TERRITORY_SIRET,
        }
    )
    rows.append(
        {
            "objet": lines.iloc[0]["action_title"],
            "montant": "5000",
            "dateConvention": "2024-05-02",
            "idBeneficiaire": valid_siret("775659865"),
        }
    )
    frame = pd.DataFrame(rows)
    for column, value in {
        "nomAttribuant": "Région Grand Est",
        "idAttribuant": region,
        "nomBeneficiaire": "CA Grand Saint-Dizier, Der & Vallées",
        "nature": "aide en numéraire",
        "conditionsVersement": "unique",
        "datesPeriodeVersement": "2024-06-01",
        "notificationUE": "non",
        "pourcentageSubvention": "1",
    }.items():
        frame[column] = value
    for column in schema_fields("scdl-subventions"):
        if column not in frame:
            frame[column] = ""
    return to_csv_bytes(frame, schema_fields("scdl-subventions")), lines


def test_reconciliation_of_a_funder_file(app_env):
    _, funding = scdl.load_funding(SAINT_DIZIER)
    data, lines = funder_file(funding)
    assert len(lines) >= 4
    assert scdl.validate_scdl(data) == []
    table, errors, funder = scdl.reconcile_file(SAINT_DIZIER, data, "region.csv")
    assert errors == []
    assert funder == "Région Grand Est"
    counts = scdl.summarise(table)
    assert counts == {
        "Concordant": len(lines) - 2,
        "Montant différent": 1,
        "Absent du fichier du financeur": 1,
        "Absent du plan": 1,
    }
    different = table[table["statut"] == "Montant différent"].iloc[0]
    assert different["action_code"] == lines.iloc[1]["action_code"]
    assert different["ecart"] == pytest.approx(1000)
    missing = table[table["statut"] == "Absent du fichier du financeur"].iloc[0]
    assert missing["action_code"] == lines.iloc[2]["action_code"]
    matched = table[table["statut"] == "Concordant"]
    assert matched["critere"].str.contains("SIRET").all()
    assert matched["critere"].str.contains("date").all()
    # The other beneficiary's row is not ours: neither matched nor « absent du plan ».
    assert table["montant"].ne(5000).all()


def test_unreadable_or_foreign_files_get_french_messages(app_env):
    with pytest.raises(FormatError, match="colonnes SCDL absentes"):
        scdl.reconcile_file(SAINT_DIZIER, b"a;b\n1;2\n", "autre.csv")
    with pytest.raises(FormatError, match="pas un fichier CSV"):
        scdl.reconcile_file(SAINT_DIZIER, b"PK\x03\x04\x00\x00binary", "classeur.csv")
    _, funding = scdl.load_funding(SAINT_DIZIER)
    data, _ = funder_file(funding)
    broken = data.replace(b",aide en num\xc3\xa9raire,", b",virement,", 1)
    _, errors, _ = scdl.reconcile_file(SAINT_DIZIER, broken, "region.csv")
    assert any("ligne 2" in e and "nature" in e for e in errors)


def test_portfolio_subventions_to_its_epci_are_matched(app_env, demo_db):
    """A Région's portfolio: the État pays the EPCI where each action takes place."""
    rows = demo_db.execute(
        """select a.title, f.granted, a.epci_siren from funding f join actions a using (action_id)
        where f.territory_id = 'hauts-de-france' and f.funder = 'État'
        and f.granted is not null and a.epci_siren <> '200053742' order by a.sort_order limit 2"""
    ).fetchall()
    assert len(rows) == 2
    frame = pd.DataFrame(
        {
            "nomAttribuant": "État",
            "idAttribuant": valid_siret("110000015"),
            "dateConvention": "2019-03-01",
            "nomBeneficiaire": "EPCI",
            "idBeneficiaire": [valid_siret(epci) for _, _, epci in rows],
            "objet": [title for title, _, _ in rows],
            "montant": [f"{float(granted):.2f}" for _, granted, _ in rows],
            "nature": "aide en numéraire",
            "conditionsVersement": "unique",
            "datesPeriodeVersement": "2019-04-01",
            "notificationUE": "non",
            "pourcentageSubvention": "1",
        }
    )
    for column in schema_fields("scdl-subventions"):
        if column not in frame:
            frame[column] = ""
    data = to_csv_bytes(frame, schema_fields("scdl-subventions"))
    table, errors, funder = scdl.reconcile_file("200053742", data, "etat.csv", "État")
    assert errors == []
    assert funder == "État"
    assert scdl.summarise(table)["Concordant"] == 2
    assert scdl.summarise(table)["Absent du plan"] == 0


def test_complements_can_come_back_as_a_workbook(app_env, tmp_path):
    territory, funding = scdl.load_funding(SAINT_DIZIER)
    complements = filled_complements(scdl.awarded_lines(territory, funding))
    path = tmp_path / "complements.xlsx"
    complements.to_excel(path, index=False)
    read = read_upload(path.read_bytes(), path.name)
    export = scdl.build_scdl_export(territory, funding, TERRITORY_SIRET, read, True)
    assert export.incomplete.empty
    assert len(export.rows) == len(complements)
    with pytest.raises(FormatError, match="classeur Excel illisible"):
        read_upload(b"PK\x03\x04 not really a workbook", "complements.xlsx")


def test_real_portfolio_exports_without_the_demo_switch(app_env, demo_db):
    """Hauts-de-France's amounts are sourced: the Région's own lines are published as they are."""
    territory, funding = scdl.load_funding("200053742")
    lines = scdl.awarded_lines(territory, funding)
    expected = demo_db.execute(
        "select count(*) from funding where territory_id = 'hauts-de-france' "
        "and funder_type = 'Région' and granted is not null"
    ).fetchone()[0]
    assert len(lines) == expected > 0
    complements = filled_complements(lines, "EPCI")
    export = scdl.build_scdl_export(territory, funding, valid_siret("200053742"), complements)
    # The document gives no decision date: the convention's date is asked for, not invented.
    assert export.incomplete["manque"].str.startswith("dateConvention").all()
    complements["dateConvention"] = "15/03/2019"
    export = scdl.build_scdl_export(territory, funding, valid_siret("200053742"), complements)
    assert export.incomplete.empty
    assert len(export.rows) == expected
    assert set(export.rows["dateConvention"]) == {"2019-03-15"}
    assert scdl.validate_scdl(export.to_csv()) == []
