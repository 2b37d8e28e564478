"""Streamlit pieces: `widgets` (generic), `context` (territory, header, footer), `downloads`
(file buttons) and one module per screen, named after its page in pages/."""
