"""Deployment: N Streamlit processes behind nginx (`python -m deploy.serve`)."""
