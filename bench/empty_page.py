"""The floor of the page benchmark: an empty Streamlit page."""

import streamlit as st

st.title("Vide")
