"""Financements (issue 5): totals by contract, funder, flow, leverage and PPI reconcile with SQL,
including the real Hauts-de-France amounts of seed 004."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import funding_charts, tables
from dashboard.queries import read_sql
from tests.test_pages import run_page, table_with


def euros(text: str) -> float | None:
    if text in ("—", "", None):
        return None
    return float(text.replace("\u00a0", "").replace("€", "").replace(",", "."))


def query(con, name: str, **params) -> pd.DataFrame:
    return con.execute(read_sql(name), params or None).df()


def scalar(con, sql: str, **params):
    return con.execute(sql, params or None).fetchone()[0]


def test_totals_by_contract_match_sql(app_env, demo_db):
    at = run_page("funding", "200053742")
    assert not at.exception
    shown = table_with(at, "Consommation")
    expected = dict(
        demo_db.execute(
            """select coalesce(c.name, 'Hors contrat'), sum(f.granted) from funding f
           left join contracts c using (contract_id)
           where f.territory_id = 'hauts-de-france' group by all"""
        ).fetchall()
    )
    for contract, granted in zip(shown["Contrat"], shown["Accordé (€)"], strict=True):
        if contract in expected:
            assert euros(granted) == pytest.approx(float(expected[contract] or 0) or None)
    assert set(expected) <= set(shown["Contrat"])


def test_every_funder_type_total_and_share(demo_db):
    funders = query(demo_db, "funding_by_funder", territory="hauts-de-france")
    total = scalar(
        demo_db, "select sum(granted) from funding where territory_id = 'hauts-de-france'"
    )
    figure = funding_charts.build_funder_treemap_figure(funders)
    roots = [
        v for v, p in zip(figure.data[0].values, figure.data[0].parents, strict=True) if p == ""
    ]
    assert sum(roots) == pytest.approx(float(total))
    europe = scalar(
        demo_db,
        "select sum(granted) from funding where territory_id = 'hauts-de-france'"
        " and funder_type = 'Europe'",
    )
    labels = list(figure.data[0].labels)
    assert figure.data[0].values[labels.index("Europe")] == pytest.approx(float(europe))


def test_sankey_flows_reconcile_with_granted_amounts(demo_db):
    flows = query(demo_db, "funding_flows", territory="hauts-de-france")
    figure = funding_charts.build_funding_sankey_figure(flows)
    link = figure.data[0].link
    n_funders = flows["funder_type"].nunique()
    first_stage = sum(v for s, v in zip(link.source, link.value, strict=True) if s < n_funders)
    total = scalar(
        demo_db,
        "select sum(granted) from funding where territory_id = 'hauts-de-france'"
        " and granted is not null",
    )
    assert first_stage == pytest.approx(float(total))
    assert sum(link.value) == pytest.approx(2 * float(total))  # same money, two stages


def test_real_project_amounts_add_up_in_the_leverage_table(demo_db):
    leverage = query(demo_db, "action_leverage", territory="hauts-de-france")
    nausicaa = leverage[leverage["title"].str.contains("Nausicaa", case=False)].iloc[0]
    # 004, l. 360-364: ~50 M€ in all; 17 M€ FEDER + ~24 M€ Région + >8 M€ Département.
    assert nausicaa["cost"] == 50_000_000
    assert nausicaa["secured"] == 49_000_000
    assert nausicaa["external"] == 49_000_000
    assert nausicaa["gap"] == 1_000_000
    assert not nausicaa["is_demo"]


def test_unknown_costs_are_flagged_not_zero(demo_db):
    pompey = query(demo_db, "action_leverage", territory="pompey")
    assert pompey["cost"].isna().all()
    assert pompey["cost_unknown"].all()
    saint_dizier = query(demo_db, "action_leverage", territory="saint-dizier")
    without_budget = scalar(
        demo_db,
        "select count(*) from actions where territory_id = 'saint-dizier' and action_id not in"
        " (select action_id from budget_lines where direction = 'Dépense')",
    )
    assert int(saint_dizier["cost_unknown"].sum()) == without_budget > 0
    known = saint_dizier.dropna(subset=["cost"])
    assert (known["gap"] == known["cost"] - known["secured"].fillna(0)).all()


def test_leverage_uses_declared_epci_money_when_present(demo_db):
    leverage = query(demo_db, "action_leverage", territory="saint-dizier")
    declared = leverage[~leverage["own_money_derived"] & leverage["own_money"].notna()]
    assert not declared.empty
    row = declared.iloc[0]
    assert row["leverage"] == pytest.approx(row["external"] / row["own_money"])


def test_ppi_table_totals_add_up(demo_db):
    budget = query(demo_db, "budget_by_year", territory="saint-dizier")
    table = tables.build_ppi_table(budget, "planned").set_index("Ligne")
    spending = scalar(
        demo_db,
        "select sum(planned) from budget_lines where territory_id = 'saint-dizier'"
        " and direction = 'Dépense'",
    )
    assert table.loc["Total des dépenses", "Total"] == pytest.approx(float(spending))
    years = [c for c in table.columns if c.isdigit()]
    assert (table[years].sum(axis=1, min_count=1) - table["Total"]).abs().max() < 0.01
    detail = table.drop(index=["Total des dépenses", "Total des recettes"])
    assert detail.loc[detail.index.str.contains("dépenses"), "Total"].sum() == pytest.approx(
        float(spending)
    )


def test_portfolio_by_epci_covers_every_project(demo_db):
    portfolio = query(demo_db, "portfolio_by_epci", territory="hauts-de-france")
    projects = scalar(
        demo_db, "select count(*) from actions where territory_id = 'hauts-de-france'"
    )
    granted = scalar(
        demo_db, "select sum(granted) from funding where territory_id = 'hauts-de-france'"
    )
    assert portfolio["n_projects"].sum() == projects
    assert portfolio["granted"].sum() == pytest.approx(float(granted))
    assert len(portfolio) >= 10  # projects spread over many EPCI


def test_funding_page_without_budget_explains(app_env):
    at = run_page("funding", "245400601")
    assert not at.exception
    assert any("Aucune ligne de budget" in w.value for w in at.warning)


def test_funder_shares_add_up_to_one(demo_db):
    funders = query(demo_db, "funding_by_funder", territory="saint-dizier")
    assert funders["share_of_granted"].sum() == pytest.approx(1.0)


def test_every_contract_row_with_demo_lines_is_marked_demo(app_env, demo_db):
    """« Hors contrat » and OPAH-RU hold demonstration lines only: their row says so."""
    from dashboard import queries, tables

    contracts = queries.load_funding_by_contract("saint-dizier")
    shown = tables.to_display(contracts, tables.CONTRACT_COLUMNS)
    demo_lines = dict(
        demo_db.execute(
            "select coalesce(c.name, 'Hors contrat'), bool_or(f.is_demo) from funding as f"
            " left join contracts as c using (contract_id)"
            " where f.territory_id = 'saint-dizier' group by all"
        ).fetchall()
    )
    marks = dict(zip(shown["Contrat"], shown["Données"], strict=True))
    assert demo_lines, "Saint-Dizier has funding lines"
    for name, has_demo in demo_lines.items():
        if has_demo:
            assert marks[name] == "démo", name
    assert marks["Hors contrat"] == "démo"
