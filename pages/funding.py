"""Financements — for contract followers: who pays for what, what is missing, year by year."""

import streamlit as st

from dashboard import charts, components, queries, report, shared, tables

territory = components.current_territory()
components.render_page_header("Financements", territory)
tid = territory["territory_id"]
components.render_funding_provenance(territory)

contract_tab, funder_tab, flow_tab, gap_tab, ppi_tab, portfolio_tab = st.tabs(
    ["Par contrat", "Par financeur", "Flux", "Effet de levier", "Budget (PPI)", "Portefeuille"]
)
with contract_tab:
    contracts = queries.load_funding_by_contract(tid)
    st.caption("Cliquez sur une ligne pour voir les actions et financeurs du contrat.")
    row = components.render_selectable_table(
        contracts, tables.CONTRACT_COLUMNS, "contrats", f"by_contract_{tid}"
    )
    if row is not None and row < len(contracts) and isinstance(contracts.iloc[row]["code"], str):
        chosen = contracts.iloc[row]
        st.subheader(components.safe_text(chosen["contract"]))
        contract_scope = report.ReportScope("contrat", chosen["code"])
        components.render_report_download(territory, contract_scope, "contract_report")
        detail = queries.load_contract_actions(tid, chosen["code"])
        components.render_table(
            detail, tables.CONTRACT_ACTION_COLUMNS, "contrat", "contract_detail"
        )
with funder_tab:
    funders = queries.load_funding_by_funder(tid)
    if funders.empty:
        st.info("Aucune ligne de financement n'a été saisie pour ce territoire.")
    else:
        for build, key in (
            (charts.build_funder_treemap_figure, "funder_treemap"),
            (charts.build_funding_by_funder_figure, "by_funder_chart"),
        ):
            st.plotly_chart(shared.load_figure(build, "funding_by_funder", tid), key=key)
        components.render_table(funders, tables.FUNDER_COLUMNS, "financeurs", "by_funder")
with flow_tab:
    flows = queries.load_funding_flows(tid)
    if flows.empty:
        st.info("Aucun montant accordé : pas de flux à représenter.")
    else:
        st.plotly_chart(
            shared.load_figure(charts.build_funding_sankey_figure, "funding_flows", tid),
            key="sankey",
        )
        st.caption(
            "Montants accordés : financeur → contrat → premier niveau du plan. "
            "Tableau équivalent ci-dessous."
        )
        components.render_table(flows, tables.FLOW_COLUMNS, "flux", "flows")
with gap_tab:
    leverage = queries.load_action_leverage(tid)
    components.render_leverage_summary(leverage)
    if leverage["cost"].notna().any():
        st.plotly_chart(
            shared.load_figure(charts.build_largest_gaps_figure, "action_leverage", tid),
            key="gap_chart",
        )
        components.render_chart_data(
            charts.largest_gaps(leverage), tables.GAP_COLUMNS, "reste_a_financer", "gap_data"
        )
    components.render_table(leverage, tables.LEVERAGE_COLUMNS, "levier", "leverage")
with ppi_tab:
    budget = queries.load_budget_by_year(tid)
    if budget.empty:
        st.info("Aucune ligne de budget n'a été saisie : le coût des actions est inconnu, pas nul.")
    else:
        st.plotly_chart(
            shared.load_figure(charts.build_budget_by_year_figure, "budget_by_year", tid),
            key="budget_chart",
        )
        components.render_ppi(budget, "ppi")
        components.render_table(budget, tables.BUDGET_COLUMNS, "budget", "budget")
with portfolio_tab:
    components.render_table(
        queries.load_portfolio_by_epci(tid),
        tables.PORTFOLIO_EPCI_COLUMNS,
        "portefeuille_epci",
        "portfolio_epci",
    )
    st.subheader("Tous les territoires, par type de contrat")
    components.render_table(
        queries.load_portfolio_by_contract_type(),
        tables.PORTFOLIO_TYPE_COLUMNS,
        "portefeuille_contrats",
        "portfolio_types",
    )
