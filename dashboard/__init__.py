"""The dashboard's library: queries, charts, maps, Streamlit pieces; importable without a server."""
