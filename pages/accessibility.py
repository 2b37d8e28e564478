"""Déclaration d'accessibilité — for everyone, and for the authority publishing the dashboard:
the RGAA statement (conformity, test results, non-accessible content, test environment,
remedies), filled with the self-audit's results."""

import streamlit as st

from dashboard import accessibility

st.title("Déclaration d'accessibilité")
st.markdown(accessibility.build_statement())
