"""Render a commission deck to PNG images to look at it: LibreOffice (Debian's
`libreoffice-impress`, headless) converts it to PDF, pypdfium2 draws each page.

    .venv/bin/python tools/render_deck.py diaporama.pptx --sortie /tmp/diapos [--largeur 1600]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pypdfium2


def render(deck: Path, output: Path, width: int = 1600) -> list[Path]:
    """One PNG per slide in `output`, `width` pixels wide."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice absent : apt-get install -y libreoffice-impress")
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        # A profile of its own: a running LibreOffice of the user must not swallow the job.
        profile = Path(work) / "profile"
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                work,
                str(deck),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = pypdfium2.PdfDocument(Path(work) / f"{deck.stem}.pdf")
        images = []
        for index, page in enumerate(pdf, start=1):
            scale = width / page.get_width()
            path = output / f"{deck.stem}-{index:02d}.png"
            page.render(scale=scale).to_pil().save(path)
            images.append(path)
        pdf.close()
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Diaporama (.pptx) → images PNG")
    parser.add_argument("deck", type=Path)
    parser.add_argument("--sortie", type=Path, required=True)
    parser.add_argument("--largeur", type=int, default=1600)
    args = parser.parse_args(argv)
    for path in render(args.deck, args.sortie, args.largeur):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
