"""Command line: python -m etl build | check | template | reference."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from etl import pipeline
from etl.issues import IssueList, ValidationError
from etl.load import LoadCheckError


def _print_issues(issues: IssueList, limit: int = 200) -> None:
    for issue in issues.errors[:limit]:
        print(issue, file=sys.stderr)
    for issue in issues.warnings[:limit]:
        print(issue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl", description="Pilotage territorial — ETL")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "valider puis construire la base"),
        ("check", "valider sans écrire"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("--sources", type=Path, default=pipeline.SOURCES_DIR)
        cmd.add_argument("--reference", type=Path, default=pipeline.REFERENCE_DIR)
        if name == "build":
            cmd.add_argument("--output", type=Path, default=pipeline.WAREHOUSE)
        cmd.add_argument("--quiet", action="store_true", help="ne pas afficher les avertissements")
    template = sub.add_parser("template", help="écrire le modèle Excel vide")
    template.add_argument("--output", type=Path, default=Path("modele_plan_territorial.xlsx"))
    reference = sub.add_parser("reference", help="rafraîchir le référentiel depuis PyPI et npm")
    reference.add_argument("--dest", type=Path, default=pipeline.REFERENCE_DIR)
    args = parser.parse_args(argv)

    if args.command == "template":
        from etl.template import write_template

        write_template(args.output)
        print(f"Modèle écrit : {args.output}")
        return 0
    if args.command == "reference":
        from etl.reference import refresh_reference

        print(refresh_reference(args.dest))
        return 0
    started = time.perf_counter()
    if args.command == "check":
        result = pipeline.run_check(args.sources, args.reference)
    else:
        try:
            result = pipeline.run_build(args.sources, args.reference, args.output)
        except LoadCheckError as exc:
            print(f"Échec : {exc} ; la base existante n'a pas été modifiée.", file=sys.stderr)
            return 1
        except ValidationError as exc:
            _print_issues(exc.issues)
            print(
                f"Échec : {len(exc.issues.errors)} erreur(s) ; "
                "la base existante n'a pas été modifiée.",
                file=sys.stderr,
            )
            return 1
    issues = result.issues
    if args.quiet:
        issues = IssueList(issues.errors)
    _print_issues(issues)
    if result.issues.errors:
        print(f"Échec : {len(result.issues.errors)} erreur(s).", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    done = "Base construite" if args.command == "build" else "Sources valides"
    print(
        f"{done} : {len(result.territories)} territoire(s), "
        f"{len(result.issues.warnings)} avertissement(s), {elapsed:.1f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
