"""Streamlit pieces of Financements: provenance of the amounts, then one tab each by contract,
by funder, flows, leverage, multi-year budget (PPI) and the portfolio."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard import (
    commission_report,
    funding_charts,
    queries,
    shared_figures,
    summaries,
    tables,
)
from dashboard.formatting import format_date, format_euros, format_number, plural
from dashboard.territory import Territory
from dashboard.ui.chart_view import render_chart
from dashboard.ui.context import readable_territories, readable_territory_ids
from dashboard.ui.downloads import render_deck_download, render_downloads, render_report_download
from dashboard.ui.widgets import (
    build_wrapped_table,
    render_action_table,
    render_chart_data,
    render_kpis,
    render_table,
    safe_text,
)

CONTRACT_PARAM = "contrat"  # the contract opened, kept in the URL (shareable)
TABS = ["Par contrat", "Par financeur", "Flux", "Effet de levier", "Budget (PPI)", "Portefeuille"]


def render_shared_chart(
    territory: Territory, build: Callable[..., go.Figure], query: str, key: str, summary: str
) -> None:
    """A chart built once per territory and shared by every session (shared_figures), with its
    one-sentence summary for screen readers (its data is the table beside it)."""
    render_chart(shared_figures.load_figure(build, query, territory.territory_id), summary, key=key)


def render_funding_provenance(territory: Territory) -> None:
    """Say which amounts come from a source document and which are demonstration data."""
    provenance = queries.load_funding_provenance(territory.territory_id)
    if provenance.empty:
        st.warning(
            "Aucune ligne de budget ni de financement n'a été saisie pour ce territoire : "
            "ajoutez les feuilles « budget » et « financements » au classeur du plan."
        )
        return
    parts = []
    for kind, label in (("financements", "de financement"), ("budget", "de budget")):
        rows = provenance[provenance["kind"] == kind]
        real = int(rows.loc[~rows["is_demo"], "n_lines"].sum())
        demo = int(rows.loc[rows["is_demo"], "n_lines"].sum())
        counted = [
            f"{plural(count, 'ligne')} {label} {origin}"
            for count, origin in (
                (real, "issue" + ("s" if real > 1 else "") + " des documents sources"),
                (demo, "de démonstration"),
            )
            if count  # « 0 lignes » is never written
        ]
        if counted:
            parts.append(" et ".join(counted))
    st.caption("Provenance des montants : " + " ; ".join(parts) + ".")


def render_by_contract(territory: Territory) -> None:
    """Contracts; a click on one shows its actions and funders and offers its report."""
    contracts = queries.load_funding_by_contract(territory.territory_id)
    st.caption("Cliquez sur un contrat pour voir ses actions et ses financeurs.")
    links = [
        f"financements?territoire={territory.siren}&{CONTRACT_PARAM}={quote(code)}"
        if isinstance(code, str)
        else None  # « Hors contrat »: no contract to open
        for code in contracts["code"]
    ]
    st.html(
        build_wrapped_table(
            contracts, tables.CONTRACT_TABLE_COLUMNS, "Contrats", links, link_column="contract"
        )
    )
    render_downloads(
        tables.to_export(contracts, tables.CONTRACT_COLUMNS),
        "contrats",
        f"by_contract_{territory.territory_id}_export",
    )
    wanted = st.query_params.get(CONTRACT_PARAM)
    if not wanted:
        return
    if wanted not in set(contracts["code"].dropna()):
        st.warning(f"Aucun contrat de code « {safe_text(wanted)} » dans ce territoire.")
        return
    row = contracts.index[contracts["code"] == wanted][0]
    chosen = contracts.loc[row]
    st.subheader(safe_text(chosen["contract"]))
    st.caption(
        " · ".join(
            part
            for part in (
                safe_text(chosen["contract_type"])
                if isinstance(chosen["contract_type"], str)
                else "",
                f"du {format_date(chosen['start_date'])} au {format_date(chosen['end_date'])}",
                f"enveloppe {format_euros(chosen['envelope'])}",
            )
            if part
        )
    )
    scope = commission_report.ReportScope("contrat", chosen["code"])
    pdf_column, pptx_column = st.columns(2)
    render_report_download(territory, scope, "contract_report", pdf_column)
    render_deck_download(territory, scope, "contract_deck", pptx_column)
    detail = queries.load_contract_actions(territory.territory_id, chosen["code"])
    render_action_table(
        detail,
        territory.siren,
        "contract_detail",
        tables.CONTRACT_ACTION_COLUMNS,
        caption=f"Actions et financeurs du contrat {chosen['contract']}",
    )


def render_by_funder(territory: Territory) -> None:
    funders = queries.load_funding_by_funder(territory.territory_id)
    if funders.empty:
        st.info("Aucune ligne de financement n'a été saisie pour ce territoire.")
        return
    by_type = funders.groupby("funder_type", as_index=False)["granted"].sum()
    summary = summaries.build_ranked_summary(
        "montants accordés par type de financeur", by_type, "funder_type", "granted", format_euros
    )
    render_shared_chart(
        territory,
        funding_charts.build_funder_treemap_figure,
        "funding_by_funder",
        "funder_treemap",
        summary.replace("montants accordés", "rectangles des montants accordés", 1),
    )
    render_shared_chart(
        territory,
        funding_charts.build_funding_by_funder_figure,
        "funding_by_funder",
        "by_funder_chart",
        summary.replace("montants accordés", "montants demandés, accordés et versés", 1),
    )
    render_table(funders, tables.FUNDER_COLUMNS, "financeurs", "by_funder")


def render_flows(territory: Territory) -> None:
    flows = queries.load_funding_flows(territory.territory_id)
    if flows.empty:
        st.info("Aucun montant accordé : pas de flux à représenter.")
        return
    render_shared_chart(
        territory,
        funding_charts.build_funding_sankey_figure,
        "funding_flows",
        "sankey",
        f"flux des montants accordés ({format_euros(flows['granted'].sum())}) de "
        f"{plural(flows['funder_type'].nunique(), 'type')} de financeur vers "
        f"{plural(flows['contract'].nunique(), 'contrat')} puis "
        f"{plural(flows['root_title'].nunique(), 'élément')} de premier niveau du plan.",
    )
    st.caption(
        "Montants accordés : financeur → contrat → premier niveau du plan. "
        "Tableau équivalent ci-dessous."
    )
    render_table(flows, tables.FLOW_COLUMNS, "flux", "flows")


def render_leverage(territory: Territory) -> None:
    leverage = queries.load_action_leverage(territory.territory_id)
    render_leverage_summary(leverage)
    if leverage["cost"].notna().any():
        render_shared_chart(
            territory,
            funding_charts.build_largest_gaps_figure,
            "action_leverage",
            "gap_chart",
            summaries.build_ranked_summary(
                "reste à financer des actions qui en ont le plus besoin",
                funding_charts.largest_gaps(leverage),
                "title",
                "gap",
                format_euros,
            ),
        )
        render_chart_data(
            funding_charts.largest_gaps(leverage),
            tables.GAP_COLUMNS,
            "reste_a_financer",
            "gap_data",
        )
    render_table(leverage, tables.LEVERAGE_COLUMNS, "levier", "leverage")


def render_leverage_summary(leverage: pd.DataFrame) -> None:
    """Totals of the leverage table; unknown costs are counted and flagged, never taken as zero."""
    known = leverage[leverage["cost"].notna()]
    own = known["own_money"].sum()
    ratio = known["external"].sum() / own if own else None
    render_kpis(
        [
            ("Coût connu des actions", format_euros(known["cost"].sum()), None),
            ("Financements accordés", format_euros(leverage["secured"].sum()), None),
            (
                "Reste à financer",
                format_euros(known["gap"].clip(lower=0).sum()),
                "Coût moins financements accordés, sur les actions dont le coût est connu",
            ),
            (
                "Effet de levier",
                "—" if ratio is None else format_number(ratio, 2),
                "Financements extérieurs (hors EPCI et communes) "
                "par euro de fonds propres de l'EPCI",
            ),
        ]
    )
    unknown = int(leverage["cost_unknown"].sum())
    if unknown:
        st.warning(
            f"{unknown} action(s) sans budget : leur coût est inconnu ; elles figurent dans le "
            "tableau (colonne « Coût inconnu ») mais pas dans le reste à financer."
        )


def render_budget(territory: Territory) -> None:
    budget = queries.load_budget_by_year(territory.territory_id)
    if budget.empty:
        st.info("Aucune ligne de budget n'a été saisie : le coût des actions est inconnu, pas nul.")
        return
    spending = budget[budget["direction"] == "Dépense"]
    render_shared_chart(
        territory,
        funding_charts.build_budget_by_year_figure,
        "budget_by_year",
        "budget_chart",
        summaries.build_ranked_summary(
            "dépenses prévues par année",
            spending.groupby("year", as_index=False)["planned"].sum(min_count=1),
            "year",
            "planned",
            format_euros,
        ),
    )
    render_ppi(budget, "ppi")
    render_table(budget, tables.BUDGET_COLUMNS, "budget", "budget")


def render_ppi(budget: pd.DataFrame, key: str) -> None:
    """Finance-committee table: a measure chosen, years as columns, totals that add up."""
    measures = {"planned": "Prévu", "committed": "Engagé", "paid": "Payé"}
    measure = st.segmented_control(
        "Montants", list(measures), format_func=measures.get, default="planned", key=f"{key}_m"
    )
    table = tables.build_ppi_table(budget, measure or "planned")
    shown = table.copy()
    for column in shown.columns[1:]:
        shown[column] = shown[column].map(format_euros)
    st.dataframe(shown, hide_index=True, key=key)
    table.attrs["kinds"] = {column: "euros" for column in table.columns[1:]}
    render_downloads(table, f"ppi_{measure or 'planned'}", f"{key}_export")


def render_portfolio(territory: Territory) -> None:
    render_table(
        queries.load_portfolio_by_epci(territory.territory_id),
        tables.PORTFOLIO_EPCI_COLUMNS,
        "portefeuille_epci",
        "portfolio_epci",
    )
    readable = readable_territory_ids()
    st.subheader(
        "Tous les territoires, par type de contrat"
        if readable is None
        else "Vos territoires, par type de contrat"
    )
    every = queries.load_portfolio_by_contract_type()
    sirens = {t.siren for t in readable_territories()}
    render_table(
        every if readable is None else every[every["siren"].isin(sirens)],
        tables.PORTFOLIO_TYPE_COLUMNS,
        "portefeuille_contrats",
        "portfolio_types",
    )


RENDERERS = (
    render_by_contract,
    render_by_funder,
    render_flows,
    render_leverage,
    render_budget,
    render_portfolio,
)
