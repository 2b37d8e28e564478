"""CLI: `python -m dashboard.commission_report --territoire SIREN [--perimetre …] [--sortie …]`,
quiet on success but for the file written; exit 2 and a French message on a wrong territory or
scope."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from streamlit import logger as streamlit_logger

from dashboard.commission_report import (  # the package quiets Streamlit's notices first
    REPORT_ERRORS,
    ReportScope,
    build_report_pdf,
    report_filename,
    scope_choices,
)
from dashboard.territory import find_territory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.commission_report",
        description="Rapport de commission en PDF (territoire, périmètre).",
    )
    parser.add_argument("--territoire", required=True, help="SIREN ou identifiant du territoire")
    parser.add_argument(
        "--perimetre",
        default="plan",
        help="plan (défaut), element:<code du premier niveau> ou contrat:<code du contrat>",
    )
    parser.add_argument("--sortie", type=Path, help="fichier PDF (défaut : nom daté)")
    parser.add_argument(
        "--liste", action="store_true", help="affiche les périmètres possibles et s'arrête"
    )
    args = parser.parse_args(argv)
    streamlit_logger.set_log_level("error")
    try:
        territory = find_territory(args.territoire)
        if args.liste:
            for value, label in scope_choices(territory.territory_id).items():
                print(f"{value}\t{label}")
            return 0
        scope = ReportScope.parse(args.perimetre)
        today = dt.date.today()
        pdf = build_report_pdf(territory, scope, today)
    except (*REPORT_ERRORS, FileNotFoundError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    output = args.sortie or Path(report_filename(territory, scope, today))
    output.write_bytes(pdf)
    print(f"Rapport écrit : {output} ({len(pdf) // 1024} Ko)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
