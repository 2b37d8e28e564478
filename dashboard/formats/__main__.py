"""Command line of the formats, for scheduled runs: quiet on success, exit code 2 and a French
message on a wrong argument, territory or file.

    python -m dashboard.formats deck --territoire 200068666 --perimetre element:P1 --sortie p1.pptx
    python -m dashboard.formats scdl --territoire 200068666 --siret-attribuant 20006866600011 \\
        --complements complements.csv --sortie subventions.csv
    python -m dashboard.formats scdl-rapprochement --territoire 200068666 --fichier region.csv
    python -m dashboard.formats projets --territoire 200068666 --sortie projets.csv
    python -m dashboard.formats projets-import --fichier projets.csv --siren 245400601 \\
        --nom "CC du Bassin de Pompey" --dossier data/sources/pompey-projets
    python -m dashboard.formats datapackage --territoire 200068666 --sortie paquet/
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

from streamlit import logger as streamlit_logger

streamlit_logger.set_log_level("error")  # cached loaders: no "no runtime" notices in cron mails

from dashboard.formats import datapackage, deck, projets_territoire, scdl  # noqa: E402
from dashboard.formats import upstream as up  # noqa: E402
from dashboard.formats.common import FormatError, read_upload  # noqa: E402

ARGPARSE_FRENCH = (
    (r"the following arguments are required: (.*)", r"arguments obligatoires manquants : \1"),
    (
        r"argument (\S+): invalid choice: '?([^' ]*)'? \(choose from (.*)\)",
        r"\1 : « \2 » inconnu (possibles : \3)",
    ),
    (r"unrecognized arguments: (.*)", r"arguments inconnus : \1"),
    (r"argument (\S+): expected one argument", r"\1 : une valeur est attendue"),
)


DEMO_HELP = "inclut les lignes de démonstration (fichier d'essai, à ne pas publier)"


class FrenchParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own words, in French
        for pattern, french in ARGPARSE_FRENCH:
            message = re.sub(pattern, french, message)
        self.exit(2, f"Erreur : {message}\n(python -m dashboard.formats --help)\n")


def build_parser() -> FrenchParser:
    parser = FrenchParser(
        prog="python -m dashboard.formats",
        description="Exports et imports aux formats de l'écosystème (docs/formats.md).",
    )
    commands = parser.add_subparsers(dest="commande", required=True, parser_class=FrenchParser)
    one = commands.add_parser("deck", help="diaporama de commission (PowerPoint)")
    one.add_argument("--territoire", required=True, help="SIREN ou identifiant")
    one.add_argument("--perimetre", default="plan", help="plan, element:<code> ou contrat:<code>")
    one.add_argument("--modele", type=Path, help="modèle .pptx de la collectivité")
    one.add_argument("--sortie", type=Path)
    one = commands.add_parser("scdl", help="subventions attribuées, au format SCDL")
    one.add_argument("--territoire", required=True)
    one.add_argument("--siret-attribuant", required=True, help="SIRET de la collectivité")
    one.add_argument("--complements", type=Path, help="compléments par action (CSV ou .xlsx)")
    one.add_argument("--a-completer", type=Path, help="écrit le modèle de compléments (CSV)")
    one.add_argument("--avec-demo", action="store_true", help=DEMO_HELP)
    one.add_argument("--sortie", type=Path)
    one = commands.add_parser("scdl-rapprochement", help="rapproche le fichier SCDL d'un financeur")
    one.add_argument("--territoire", required=True)
    one.add_argument("--fichier", type=Path, required=True)
    one.add_argument("--financeur", help="financeur du plan (défaut : le plus proche du fichier)")
    one.add_argument("--sortie", type=Path)
    one = commands.add_parser("projets", help="actions au format projets-territoire")
    one.add_argument("--territoire", required=True)
    one.add_argument("--siret-porteur")
    one.add_argument("--avec-demo", action="store_true", help=DEMO_HELP)
    one.add_argument("--sortie", type=Path)
    one = commands.add_parser("projets-import", help="fichier projets-territoire → modèle du plan")
    one.add_argument("--fichier", type=Path, required=True)
    one.add_argument("--siren", required=True, help="SIREN du territoire (9 chiffres)")
    one.add_argument("--nom", required=True, help="nom du territoire")
    one.add_argument("--dossier", type=Path, required=True, help="dossier à créer (CSV du modèle)")
    one = commands.add_parser("datapackage", help="paquet de données ouvertes (frictionless)")
    one.add_argument("--territoire", required=True)
    one.add_argument("--sortie", type=Path, help="dossier, ou fichier .zip")
    return parser


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        problem = "introuvable" if isinstance(error, FileNotFoundError) else "illisible"
        raise FormatError(f"{path} : fichier {problem}.") from error


def _default_name(kind: str, territory_key: str, ext: str) -> Path:
    return Path(f"{kind}_{territory_key}_{dt.date.today().isoformat()}.{ext}")


def run(args: argparse.Namespace) -> list[str]:
    """Do the command; returns the warnings to print (nothing lost silently)."""
    warnings: list[str] = []
    if args.commande == "deck":
        scope = up.ReportScope.parse(args.perimetre)
        if args.modele and not args.modele.is_file():
            raise FormatError(f"Modèle {args.modele} introuvable.")
        data = deck.build_deck(args.territoire, scope, template=args.modele)
        territory = up.find_territory(args.territoire)
        out = args.sortie or Path(deck.deck_filename(territory, scope, dt.date.today()))
        out.write_bytes(data)
    elif args.commande == "scdl":
        territory, funding = scdl.load_funding(args.territoire)
        if args.a_completer:
            template = scdl.build_complement_template(scdl.awarded_lines(territory, funding))
            args.a_completer.write_bytes(template.to_csv(sep=";", index=False).encode("utf-8"))
        complements = None
        if args.complements:
            complements = read_upload(_read(args.complements), str(args.complements))
        export = scdl.build_scdl_export(
            territory, funding, args.siret_attribuant, complements, args.avec_demo
        )
        out = args.sortie or _default_name("subventions", territory.territory_id, "csv")
        out.write_bytes(export.to_csv())
        warnings += [
            f"ligne de l'action {r.action} non publiée, à compléter : {r.manque}"
            for r in export.incomplete.itertuples()
        ]
    elif args.commande == "scdl-rapprochement":
        table, errors, funder = scdl.reconcile_file(
            args.territoire, _read(args.fichier), str(args.fichier), args.financeur
        )
        warnings += [f"{args.fichier}, {e}" for e in errors]
        counts = scdl.summarise(table)
        out = args.sortie or _default_name("rapprochement", args.territoire, "csv")
        table.to_csv(out, sep=";", index=False)
        if counts["Concordant"] != len(table):
            warnings.append(
                f"comparé à « {funder} » : "
                + ", ".join(f"{k.lower()} {v}" for k, v in counts.items())
            )
    elif args.commande == "projets":
        data, withheld = projets_territoire.export_projets(
            args.territoire, args.siret_porteur, args.avec_demo
        )
        if withheld:
            warnings.append(
                f"{len(withheld)} action(s) de données de démonstration non exportées "
                "(--avec-demo pour un essai)"
            )
        out = args.sortie or _default_name("projets-territoire", args.territoire, "csv")
        out.write_bytes(data)
    elif args.commande == "projets-import":
        if not re.fullmatch(r"\d{9}", args.siren):
            raise FormatError(f"SIREN « {args.siren} » : 9 chiffres attendus.")
        if args.dossier.exists() and any(args.dossier.iterdir()):
            raise FormatError(f"Le dossier {args.dossier} existe et n'est pas vide.")
        imported = projets_territoire.import_projets(
            _read(args.fichier), args.fichier.name, args.siren, args.nom
        )
        args.dossier.mkdir(parents=True, exist_ok=True)
        for name, data in projets_territoire.sheets_to_csv(imported.sheets).items():
            (args.dossier / name).write_bytes(data)
        warnings += imported.errors + imported.notes
    else:
        out = args.sortie or Path(f"paquet_{args.territoire}")
        if out.suffix == ".zip":
            out.write_bytes(datapackage.build_package_zip(args.territoire))
        else:
            datapackage.build_package(args.territoire, out)
    return warnings


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        warnings = run(args)
    except (FormatError, *up.ReportError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(
            f"Erreur : écriture ou lecture impossible ({error.filename or error}).", file=sys.stderr
        )
        return 2
    for warning in warnings:
        print(f"Attention : {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
