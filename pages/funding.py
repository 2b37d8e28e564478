"""Financements — for those who follow contracts: who pays for what, year by year."""

import streamlit as st

from dashboard import charts, components, queries, tables

territory = components.current_territory()
components.render_page_header("Financements", territory)
tid = territory["territory_id"]

if not territory["has_funding"] and not territory["has_budget"]:
    st.warning(
        "Aucune ligne de budget ni de financement n'a été saisie pour ce territoire : "
        "ajoutez les feuilles « budget » et « financements » au classeur du plan."
    )
    st.stop()

st.subheader("Par contrat")
contracts = queries.load_funding_by_contract(tid)
components.render_table(contracts, tables.CONTRACT_COLUMNS, "contrats", "by_contract")

st.subheader("Par financeur")
funders = queries.load_funding_by_funder(tid)
if funders.empty:
    st.info("Aucune ligne de financement.")
else:
    st.plotly_chart(charts.build_funding_by_funder_figure(funders), key="by_funder_chart")
    components.render_table(funders, tables.FUNDER_COLUMNS, "financeurs", "by_funder")

st.subheader("Budget pluriannuel (PPI)")
budget = queries.load_budget_by_year(tid)
if budget.empty:
    st.info("Aucune ligne de budget n'a été saisie : le coût des actions est inconnu, pas nul.")
else:
    st.plotly_chart(charts.build_budget_by_year_figure(budget), key="budget_chart")
    components.render_table(budget, tables.BUDGET_COLUMNS, "budget", "budget")
