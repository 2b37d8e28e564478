"""The dashboard's library: queries, charts, maps and Streamlit pieces; importable without a server."""
