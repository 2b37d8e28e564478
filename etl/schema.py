"""The input template: sheets, columns, types and French vocabularies (see docs/template.md)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Status:
    """One action status: the only declaration, read by the ETL, the warehouse's `statuses`
    table (so SQL reads it too), the KPIs, the watch list and the charts."""

    name: str
    is_done: bool  # finished: never late, never « à surveiller »
    kpi_key: str  # the KPI field that counts it (dashboard/kpis.py)
    kpi_label: str  # French plural label of that count
    display_rank: int  # order in legends, filters and stacked bars
    typed: bool = True  # a value of the template; False: shown when the source gives none


# The source gives no status: the action is counted apart, never as « À venir », never late.
NOT_GIVEN_STATUS = "Non renseigné"
STATUS_DECLARATIONS = (
    Status("À venir", False, "n_not_started", "À venir", 2),
    Status("En cours", False, "n_in_progress", "En cours", 1),
    Status("Réalisé", True, "n_done", "Réalisées", 0),
    Status("En pause", False, "n_paused", "En pause", 3),
    Status("Bloqué", False, "n_blocked", "Bloquées", 4),
    Status("Abandonné", True, "n_abandoned", "Abandonnées", 5),
    Status(NOT_GIVEN_STATUS, False, "n_status_not_given", "Statut non renseigné", 6, typed=False),
)
STATUSES = tuple(status.name for status in STATUS_DECLARATIONS if status.typed)
DONE_STATUSES = tuple(status.name for status in STATUS_DECLARATIONS if status.is_done)
STATUS_ORDER = tuple(
    status.name for status in sorted(STATUS_DECLARATIONS, key=lambda s: s.display_rank)
)
PRIORITIES = ("Élevé", "Moyen", "Bas")
# Typed follow-up notes (sheet `suivi`, column `type`), as the State's PILOTE and the weekly
# update of a fiche action type them; a note without type is « non renseigné ».
NOTE_TYPES = (
    "avancement",
    "difficulté / risque",
    "décision",
    "prochaine étape",
    "exemple de réussite",
)
# The « météo » of an action or a first-level plan item at a date, with its reason.
WEATHERS = ("soleil", "nuageux", "orageux")


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: the one declaration, read by the ETL (template column
    `provenance`), the warehouse (`provenance` columns) and every screen, export and PDF."""

    key: str  # in the warehouse
    typed: str  # in the template
    label: str  # French, in tables, exports and legends
    mark: str  # beside a value on screen ("" for a sourced value)


PROVENANCES = (
    Provenance("sourced", "source", "issu du document source", ""),
    Provenance("approximate", "approximatif", "approximatif (« environ » dans le document)", "≈"),
    Provenance("reconstructed", "reconstitué", "reconstitué (absent du document)", "reconstitué"),
    Provenance("demo", "démo", "données de démonstration (inventées)", "démo"),
)
PROVENANCE_BY_KEY = {p.key: p for p in PROVENANCES}
# A value the source does not give: shown this way, never replaced by a default.
NOT_GIVEN_LABEL = "non renseigné"
SECTIONS = ("Investissement", "Fonctionnement")
DIRECTIONS = ("Dépense", "Recette")
FUNDER_TYPES = (
    "État",
    "Région",
    "Département",
    "Europe",
    "EPCI",
    "Commune",
    "Autre public",
    "Privé",
)
CONTRACT_TYPES = (
    "CRTE",
    "PVD",
    "ACV",
    "CPER",
    "Contrat de ville",
    "FEDER",
    "CTE",
    "Pacte",
    "CDT",
    "Contrat de ruralité",
    "Territoire d'industrie",
    "Autre",
)
TERRITORY_TYPES = ("EPCI", "Portefeuille")
LEVEL_SUGGESTIONS = (
    "pilier",
    "axe",
    "ambition",
    "objectif",
    "enjeu",
    "défi",
    "orientation",
    "volet",
    "famille de contrats",
    "contrat",
)
YES_NO = ("oui", "non")
# Result indicators (sheet `indicateurs`): « hausse » = the higher the better, « baisse » = the
# lower the better.
INDICATOR_DIRECTIONS = ("hausse", "baisse")
# Rows of sheet `mesures`: a measured value, or an intermediate milestone of the trajectory.
MEASURE_KINDS = ("mesure", "jalon")


@dataclass(frozen=True)
class AlertRule:
    """One rule of « À surveiller » on results: the only declaration of its default threshold,
    read by the ETL (sheet `alertes` overrides it per territory), written to the warehouse's
    `alert_rules` table (the view `result_alerts` reads the threshold there)."""

    key: str  # in the warehouse
    typed: str  # in the template (sheet `alertes`, column `regle`)
    label: str  # French, shown with every alert it fires
    default: float
    unit: str  # of the threshold, in French
    fires: bool = True  # False: a setting of the computation, not a rule of « À surveiller »


ALERT_RULES = (
    # An indicator is « sur la trajectoire » while its share of the target reached is within
    # this many points of the share the trajectory expects at its latest value's date; above:
    # « en avance », below: « en retard » (warehouse view result_status).
    AlertRule(
        "trajectory_tolerance",
        "tolerance_trajectoire",
        "Tolérance « sur la trajectoire »",
        5.0,
        "points",
        fires=False,
    ),
    AlertRule(
        "behind_trajectory", "retard_trajectoire", "En retard sur la trajectoire", 10.0, "points"
    ),
    AlertRule(
        "target_missed", "cible_non_atteinte", "Échéance passée, cible non atteinte", 0, "jours"
    ),
    AlertRule("falling_trend", "tendance_defavorable", "Tendance défavorable", 3, "valeurs"),
    AlertRule(
        "stale_indicator", "indicateur_non_mis_a_jour", "Indicateur non mis à jour", 12, "mois"
    ),
    AlertRule("weather_missing", "meteo_absente", "Météo non renseignée", 6, "mois"),
    AlertRule("funding_gap", "besoin_financement", "Besoin de financement", 60.0, "%"),
)
ALERT_RULE_BY_KEY = {rule.key: rule for rule in ALERT_RULES}


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header, its kind and whether a value is required."""

    name: str
    kind: str = "text"  # text, code, siren, year, amount, pct, date, enum, list, bool, number,
    # coordinate (degrees: a point is always decimal), person (name and/or e-mail address)
    required: bool = False
    choices: tuple[str, ...] = ()
    label: str = ""


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    description: str = ""
    key: tuple[str, ...] = field(default=())

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


_SOURCE = Column("source", label="Document source")
_DEMO = Column("demo", "bool", choices=YES_NO, label="Données de démonstration (oui/non)")
_PROVENANCE = Column(
    "provenance",
    "enum",
    choices=tuple(p.typed for p in PROVENANCES),
    label="Provenance : source (défaut), approximatif, reconstitué ou démo",
)

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "territoire",
        (
            Column("siren", "siren", True, label="SIREN de l'EPCI (ou de la Région)"),
            Column("nom", required=True, label="Nom du territoire"),
            Column("type", "enum", choices=TERRITORY_TYPES, label="EPCI ou Portefeuille"),
            Column("region", label="Région du territoire (code INSEE ou nom) : communes vérifiées"),
            Column("source", label="Document source du plan"),
            Column("description", label="Description"),
            Column(
                "date_donnees",
                "date",
                label="Date des données (document daté : les retards sont jugés à cette date)",
            ),
        ),
        required=True,
        description="Une ligne : le territoire du plan.",
    ),
    Sheet(
        "plan",
        (
            Column("code", "code", True, label="Code de l'élément"),
            Column("code_parent", "code", label="Code de l'élément parent"),
            Column("niveau", required=True, choices=LEVEL_SUGGESTIONS, label="Niveau"),
            Column("intitule", required=True, label="Intitulé"),
            Column("description", label="Description"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        required=True,
        description="La hiérarchie du projet de territoire (profondeur libre).",
        key=("code",),
    ),
    Sheet(
        "actions",
        (
            Column("code", "code", True, label="Code de l'action"),
            Column("code_parent", "code", True, label="Code de l'élément du plan"),
            Column("intitule", required=True, label="Intitulé"),
            Column("description", label="Description"),
            Column("statut", "enum", choices=STATUSES, label="Statut"),
            Column("avancement", "pct", label="Avancement (%)"),
            Column("debut_prevu", "date", label="Début prévu"),
            Column("fin_prevue", "date", label="Fin prévue"),
            Column("debut_reel", "date", label="Début réel"),
            Column("fin_reelle", "date", label="Fin réelle"),
            Column("service_pilote", label="Service pilote"),
            Column(
                "pilote", "person", label="Pilote : « Prénom Nom <adresse@domaine.fr> » ou adresse"
            ),
            Column("elu_referent", label="Élu référent"),
            Column("communes", "list", label="Communes (codes INSEE)"),
            Column("thematiques", "list", label="Thématiques"),
            Column("priorite", "enum", choices=PRIORITIES, label="Priorité"),
            Column("epci", "siren", label="SIREN de l'EPCI du lieu (portefeuilles)"),
            Column("latitude", "coordinate", label="Latitude du lieu précis (WGS84, ex. 48,6385)"),
            Column("longitude", "coordinate", label="Longitude du lieu précis (WGS84, ex. 4,9497)"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        required=True,
        description="Les actions, rattachées à un élément du plan.",
        key=("code",),
    ),
    Sheet(
        "budget",
        (
            Column("action", "code", True, label="Code de l'action"),
            Column("annee", "year", True, label="Année"),
            Column("section", "enum", True, SECTIONS, label="Section"),
            Column("sens", "enum", True, DIRECTIONS, label="Sens"),
            Column("prevu", "amount", label="Prévu (€)"),
            Column("engage", "amount", label="Engagé (€)"),
            Column("paye", "amount", label="Payé / mandaté (€)"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description="Programmation pluriannuelle (PPI) par action et par année.",
    ),
    Sheet(
        "financements",
        (
            Column("action", "code", True, label="Code de l'action"),
            Column("contrat", "code", label="Identifiant du contrat"),
            Column("financeur", required=True, label="Financeur"),
            Column("type_financeur", "enum", True, FUNDER_TYPES, label="Type de financeur"),
            Column("dispositif", label="Dispositif (DSIL, DETR, FEDER…)"),
            Column("demande", "amount", label="Demandé (€)"),
            Column("accorde", "amount", label="Accordé / notifié (€)"),
            Column("verse", "amount", label="Versé (€)"),
            Column("date_decision", "date", label="Date de décision"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description="Lignes de financement par action, contrat et financeur.",
    ),
    Sheet(
        "contrats",
        (
            Column("id", "code", True, label="Identifiant"),
            Column("type", "enum", True, CONTRACT_TYPES, label="Type de contrat"),
            Column("nom", required=True, label="Nom"),
            Column("signataires", "list", label="Signataires"),
            Column("debut", "date", label="Début"),
            Column("fin", "date", label="Fin"),
            Column("enveloppe", "amount", label="Enveloppe (€)"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description="Les contrats (CRTE, PVD, ACV, CPER…).",
        key=("id",),
    ),
    Sheet(
        "suivi",
        (
            Column("action", "code", label="Code de l'action (ou bien `element`)"),
            Column("element", "code", label="Code de l'élément du plan (note sur un élément)"),
            Column("date", "date", True, label="Date"),
            Column("auteur", label="Auteur"),
            Column("type", "enum", choices=NOTE_TYPES, label="Type de note"),
            Column("statut", "enum", choices=STATUSES, label="Statut à cette date"),
            Column("avancement", "pct", label="Avancement à cette date (%)"),
            Column("meteo", "enum", choices=WEATHERS, label="Météo : soleil, nuageux ou orageux"),
            Column("raison_meteo", label="Raison de la météo"),
            Column("texte", required=True, label="Note"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description="Notes de suivi datées, typées, avec météo, par action ou élément du plan.",
    ),
    Sheet(
        "etats_anterieurs",
        (
            Column("date_etat", "date", True, label="Date de l'état (ex. dernière commission)"),
            Column("action", "code", True, label="Code de l'action"),
            Column("statut", "enum", True, STATUSES, label="Statut à cette date"),
            Column("avancement", "pct", label="Avancement à cette date (%)"),
            Column("debut_prevu", "date", label="Début prévu à cette date"),
            Column("fin_prevue", "date", label="Fin prévue à cette date"),
            Column("fin_reelle", "date", label="Fin réelle"),
            Column("depenses_prevues", "amount", label="Dépenses prévues (€, vide = aucune)"),
            Column("demande", "amount", label="Financements demandés (€, vide = aucun)"),
            Column("accorde", "amount", label="Financements accordés (€, vide = aucun)"),
            Column("verse", "amount", label="Financements versés (€, vide = aucun)"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description=(
            "États antérieurs des actions (par ex. celui présenté à la dernière commission, "
            "tenu avant l'outil) : chaque date devient un instantané à comparer."
        ),
        key=("date_etat", "action"),
    ),
    Sheet(
        "indicateurs",
        (
            Column("code", "code", True, label="Code de l'indicateur"),
            Column("action", "code", label="Code de l'action (ou bien `element`)"),
            Column("element", "code", label="Code de l'élément du plan (ou bien `action`)"),
            Column("intitule", required=True, label="Ce qui est mesuré"),
            Column("unite", label="Unité (logements, %, habitants…)"),
            Column(
                "sens",
                "enum",
                True,
                INDICATOR_DIRECTIONS,
                label="hausse : plus c'est haut, mieux c'est ; baisse : l'inverse",
            ),
            Column("valeur_initiale", "number", label="Valeur initiale (point de départ)"),
            Column("date_initiale", "date", label="Date de la valeur initiale"),
            Column("cible", "number", label="Valeur cible"),
            Column("date_cible", "date", label="Date de la cible"),
            Column(
                "serie",
                "code",
                label="Série de référence (ex. population_legale) : ses valeurs sont les mesures",
            ),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description=(
            "Indicateurs de résultat d'une action ou d'un élément du plan : point de départ, "
            "cible, sens ; les valeurs mesurées sont dans « mesures » ou viennent d'une série."
        ),
        key=("code",),
    ),
    Sheet(
        "mesures",
        (
            Column("indicateur", "code", True, label="Code de l'indicateur"),
            Column(
                "type",
                "enum",
                choices=MEASURE_KINDS,
                label="mesure (valeur constatée, défaut) ou jalon (étape de la trajectoire)",
            ),
            Column("date", "date", True, label="Date de la mesure ou du jalon"),
            Column("valeur", "number", True, label="Valeur"),
            _SOURCE,
            _DEMO,
            _PROVENANCE,
        ),
        description="Valeurs mesurées des indicateurs dans le temps, et jalons intermédiaires.",
        key=("indicateur", "type", "date"),
    ),
    Sheet(
        "alertes",
        (
            Column(
                "regle",
                "enum",
                True,
                tuple(rule.typed for rule in ALERT_RULES),
                label="Règle de « À surveiller » dont le seuil change",
            ),
            Column("seuil", "number", label="Seuil (vide : celui par défaut)"),
            Column("active", "bool", choices=YES_NO, label="Règle active (oui/non, défaut oui)"),
        ),
        description="Seuils des règles d'alerte du territoire (optionnel : défauts sinon).",
        key=("regle",),
    ),
)

SHEETS_BY_NAME = {s.name: s for s in SHEETS}

# Territory key figures from a source document (optional CSV beside the plan).
KEY_FIGURES_FILE = "chiffres_cles.csv"
KEY_FIGURES = Sheet(
    "chiffres_cles",
    (
        Column("indicateur", required=True, label="Ce qui est mesuré"),
        Column("valeur", "number", True, label="Valeur (nombre, signe accepté)"),
        Column("unite", label="Unité"),
        Column("annee", "year", label="Année"),
        Column("source", required=True, label="Document source"),
        Column("citation", label="Citation exacte du document"),
    ),
    description="Chiffres clés cités par le document du territoire (fichier chiffres_cles.csv).",
)
