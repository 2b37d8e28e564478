"""Déclaration d'accessibilité — for everyone, and for the authority publishing the dashboard:
the RGAA statement (conformity, test results, non-accessible content, test environment,
remedies), filled with the self-audit's results."""

import streamlit as st

from dashboard.ui import accessibility
from dashboard.ui.chart_view import render_chart

st.title("Déclaration d'accessibilité")
audit = accessibility.load_audit()
st.markdown(accessibility.build_statement())
st.subheader("Défauts relevés par le test automatique")
table = accessibility.build_audit_table(audit)
render_chart(
    accessibility.build_audit_figure(table),
    accessibility.audit_summary(audit),
    table,
    key="accessibility_audit",
)
