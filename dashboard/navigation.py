"""The app's pages: (file in pages/, French title, Material icon, URL path).

The first is the default, served at "/". Shared by app.py, the tests and the benchmark.
"""

PAGE_SPECS = [
    ("overview", "Vue d'ensemble", "dashboard", "vue-d-ensemble"),
    ("changes", "Évolutions", "difference", "evolutions"),
    ("commission", "Mode commission", "co_present", "mode-commission"),
    ("my_actions", "Mes actions", "person", "mes-actions"),
    ("plan", "Plan d'action", "account_tree", "plan-d-action"),
    ("action", "Fiche action", "description", "fiche-action"),
    ("results", "Résultats", "trending_up", "resultats"),
    ("calendar", "Calendrier", "calendar_month", "calendrier"),
    ("funding", "Financements", "euro", "financements"),
    ("map", "Carte des communes", "map", "carte"),
    ("indicators", "Indicateurs", "monitoring", "indicateurs"),
    ("explorer", "Explorateur", "query_stats", "explorateur"),
    ("exchanges", "Échanges de données", "swap_horiz", "echanges"),
    ("import_data", "Importer des données", "upload_file", "importer"),
    ("digest", "Résumés par courriel", "mail", "resumes-courriel"),
    ("quality", "Qualité des données", "fact_check", "qualite"),
    ("accessibility", "Déclaration d'accessibilité", "accessibility", "accessibilite"),
]
PAGE_FILES = [spec[0] for spec in PAGE_SPECS]
# A URL path equal to its script's name ("commission" for pages/commission.py) makes AppTest's
# switch_page lose the entry point's sidebar: every page keeps a distinct French path.
