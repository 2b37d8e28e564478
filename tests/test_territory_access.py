"""Roles per territory enforced on the server: a reader of one territory walks every page (even
with another territory's SIREN in the URL) and sees no row of another; the SQL console of a
person who may read two territories holds only those two."""

from __future__ import annotations

import threading

import duckdb
import lxml.html
import pytest

from dashboard import accounts
from dashboard.navigation import PAGE_FILES
from dashboard.restricted_warehouse import build_restricted_warehouse
from tests.test_access import open_import, sign_in, start

POMPEY, DIJON, SAINT_DIZIER = "245400601", "242100410", "200068666"


@pytest.fixture
def protected(import_env, tmp_path, monkeypatch):
    path = tmp_path / "roles.json"
    accounts.add_user(
        path, "pompey", "mot-de-passe-pompey", None, "Lecteur Pompey", {POMPEY: "reader"}
    )
    accounts.add_user(
        path,
        "deux",
        "mot-de-passe-deux",
        None,
        "Deux territoires",
        {POMPEY: "reader", DIJON: "editor"},
    )
    monkeypatch.setenv("PILOTAGE_ACCOUNTS", str(path))
    monkeypatch.setenv("PILOTAGE_ACCESS", "protected")
    return import_env


def shown_text(at) -> str:
    """Everything a page shows: titles, text, metrics, tables, tabs, selectors' options."""
    parts = [e.value for e in (*at.title, *at.header, *at.subheader, *at.markdown, *at.caption)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [str(v) for d in at.dataframe for v in d.value.astype(str).to_numpy().ravel()]
    parts += [  # action tables, as the text a reader sees
        lxml.html.fromstring(f"<div>{element.proto.body}</div>").text_content()
        for element in at.get("html")
    ]
    parts += [" ".join(map(str, s.options)) for s in at.selectbox]
    parts += [t.label for t in at.tabs]
    return "\n".join(map(str, parts))


def other_titles(demo_db, keep: set[str]) -> list[str]:
    """Long action titles and names of the territories not in `keep` (unique enough to find)."""
    rows = demo_db.execute(
        "select a.title, t.name from actions a join territories t using (territory_id)"
        " where not list_contains($keep, t.siren)",
        {"keep": sorted(keep)},
    ).fetchall()
    return sorted({title for title, _ in rows if len(title) > 40} | {name for _, name in rows})


def test_a_reader_of_one_territory_sees_only_it_on_every_page(protected, demo_db):
    at = sign_in(start(), "pompey", "mot-de-passe-pompey", form="gate_login_local")
    forbidden = other_titles(demo_db, {POMPEY})
    assert forbidden
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/import_data.py")  # not even registered for a reader
    for page in [p for p in PAGE_FILES if p != "import_data"]:
        at.switch_page(f"pages/{page}.py")
        at.query_params["territoire"] = SAINT_DIZIER  # a link to a territory they may not read
        at.run()
        assert not at.exception, (page, [e.message for e in at.exception])
        assert at.session_state["territory_siren"] == POMPEY, page
        text = shown_text(at)
        leaked = [t for t in forbidden if t in text]
        assert not leaked, (page, leaked[:3])
    options = at.sidebar.selectbox(key="territory_siren").options
    assert options == ["CC du Bassin de Pompey"]


def test_import_is_refused_where_the_person_is_not_editor(protected):
    at = sign_in(start(), "deux", "mot-de-passe-deux", form="gate_login_local")
    at.query_params["territoire"] = POMPEY
    at = open_import(at)
    at.query_params["territoire"] = POMPEY
    at.sidebar.selectbox(key="territory_siren").set_value(POMPEY).run()
    assert not at.file_uploader, "a reader of Pompey gets no upload"
    assert any("pas éditeur de ce territoire" in w.value for w in at.warning)
    at.sidebar.selectbox(key="territory_siren").set_value(DIJON).run()
    assert at.file_uploader(key="import_files")


def test_the_console_of_two_territories_holds_only_them(protected, demo_warehouse, tmp_path):
    copy = build_restricted_warehouse(
        demo_warehouse, "test", frozenset({"pompey", "dijon"}), tmp_path / "console"
    )
    con = duckdb.connect(str(copy), read_only=True)
    try:
        seen = {r[0] for r in con.execute("select distinct territory_id from actions").fetchall()}
        assert seen == {"dijon", "pompey"}
        for query in (
            "select count(*) from actions where territory_id = 'saint-dizier'",
            "select count(*) from funding where territory_id not in ('dijon', 'pompey')",
            "select count(*) from action_status where territory_id = 'hauts-de-france'",
            "select count(*) from snapshot_actions where action_id like 'saint-dizier:%'",
            "select count(*) from action_communes where action_id like 'hauts-de-france:%'",
            "select count(*) from territories where siren = '200068666'",
        ):
            assert con.execute(query).fetchone()[0] == 0, query
        assert con.execute("select count(*) from communes").fetchone()[0] > 30_000  # public
    finally:
        con.close()


def test_the_console_page_answers_on_the_restricted_copy(protected):
    at = sign_in(start(), "deux", "mot-de-passe-deux", form="gate_login_local")
    at.switch_page("pages/explorer.py")
    at.query_params.update(
        {"territoire": DIJON, "mode": "sql", "sql": "select distinct territory_id from territories"}
    )
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    values = {str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()}
    assert {"dijon", "pompey"} <= values
    assert not values & {"saint-dizier", "hauts-de-france"}


def _export_screen() -> None:
    import streamlit as st

    from dashboard.ui import downloads

    st.session_state["territory_siren"] = "245400601"
    st.session_state["export_build"] = downloads.journalled(lambda: b"x", "plan_pompey.xlsx")


def test_exports_are_journalled_when_the_file_is_made(protected):
    from streamlit.testing.v1 import AppTest

    from dashboard import journal

    at = AppTest.from_function(_export_screen, default_timeout=60).run()
    assert not at.exception, [e.message for e in at.exception]
    path = protected["tmp"] / "journal.jsonl"
    before = [e for e in journal.read(path) if e["event"] == "export"] if path.exists() else []
    assert before == []  # rendering the button journals nothing
    # Streamlit makes the file in its download thread, outside any script run.
    built = threading.Thread(target=at.session_state["export_build"])
    built.start()
    built.join()
    exports = [e for e in journal.read(path) if e["event"] == "export"]
    assert len(exports) == 1
    assert exports[-1]["file"] == "plan_pompey.xlsx"
    assert exports[-1]["territory"] == POMPEY
