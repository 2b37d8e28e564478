"""Named favourites of the Explorateur, per territory, in a small JSON file (no Streamlit).

The warehouse is read-only and rebuilt by every publish, so favourites live beside it in
`data/favorites/<territory>.json` (or `$PILOTAGE_FAVORITES_DIR`), written atomically.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from dashboard.db import ROOT

MAX_NAME = 80
MAX_FAVORITES = 200


class FavoriteError(ValueError):
    """A favourite that cannot be saved, with a French message."""


def favorites_dir() -> Path:
    return Path(os.environ.get("PILOTAGE_FAVORITES_DIR", ROOT / "data" / "favorites"))


def _path(territory_id: str) -> Path:
    if not re.fullmatch(r"[\w-]+", territory_id):  # our ids; never a path from the URL
        raise FavoriteError(f"Territoire invalide : {territory_id!r}")
    return favorites_dir() / f"{territory_id}.json"


def list_favorites(territory_id: str) -> dict[str, dict[str, str]]:
    """{name: URL parameters} of the territory, in saving order; a damaged file reads as empty."""
    path = _path(territory_id)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(name): {str(k): str(v) for k, v in params.items()}
        for name, params in data.items()
        if isinstance(params, dict)
    }


def clean_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not name:
        raise FavoriteError("Donnez un nom au favori.")
    if len(name) > MAX_NAME:
        raise FavoriteError(f"Nom trop long ({len(name)} caractères, {MAX_NAME} au plus).")
    if any(ord(ch) < 32 for ch in name):
        raise FavoriteError("Le nom contient des caractères de contrôle.")
    return name


def _write(territory_id: str, favorites: dict[str, dict[str, str]]) -> None:
    path = _path(territory_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(favorites, out, ensure_ascii=False, indent=1)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def save_favorite(territory_id: str, name: str, params: dict[str, str]) -> str:
    """Save (or replace) a favourite; returns its cleaned name."""
    name = clean_name(name)
    favorites = list_favorites(territory_id)
    if name not in favorites and len(favorites) >= MAX_FAVORITES:
        raise FavoriteError(f"{MAX_FAVORITES} favoris au plus par territoire.")
    favorites[name] = {str(k): str(v) for k, v in params.items()}
    _write(territory_id, favorites)
    return name


def delete_favorite(territory_id: str, name: str) -> None:
    favorites = list_favorites(territory_id)
    if favorites.pop(name, None) is not None:
        _write(territory_id, favorites)
