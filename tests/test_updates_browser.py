"""In Chromium: a contributor signs in, updates an action; another session sees it on its own;
a reader has no form (#22)."""

from __future__ import annotations

import json
from pathlib import Path

from tests import update_support as support


def test_contributor_update_reaches_another_session_and_reader_has_no_form(
    demo_warehouse: Path, tmp_path: Path
):
    with support.served_copy(tmp_path, demo_warehouse) as (base, browser, sources):
        reader, reader_page = support.signed_in(browser, base, *support.READER[:2])
        assert support.shown_progress(reader_page).startswith("55")
        assert not reader_page.get_by_role("button", name="Enregistrer").count()
        assert not reader_page.get_by_label("Avancement (%)").count()

        writer, page = support.signed_in(browser, base, *support.CONTRIBUTOR[:2])
        support.save_progress(page, 80, "Travaux du lot 2 terminés")
        page.get_by_text("Mise à jour enregistrée et publiée.").wait_for(timeout=60_000)
        # The reader's page follows the publication with no click of theirs.
        support.wait_progress(reader_page, 80)
        reader_page.get_by_text("Travaux du lot 2 terminés").first.wait_for(timeout=30_000)
        history = reader_page.locator('[data-testid="stDataFrame"]').last
        history.wait_for(timeout=30_000)
        assert not reader_page.get_by_role("button", name="Enregistrer").count()

        (entry,) = [
            json.loads(line)
            for line in (sources / "saint-dizier" / "mises_a_jour.jsonl").read_text().splitlines()
        ]
        assert entry["author"]["login"] == "camille"
        assert entry["changes"] == {"avancement": [55.0, 80]}
        writer.close()
        reader.close()
