"""Weekly digests sent for real: the CLI run as cron would, against the demo warehouse, to a
real SMTP server on 127.0.0.1 (aiosmtpd); the received messages parsed and compared with SQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest

from dashboard.digest import preferences, settings
from tests.digest_support import (
    BASE_URL,
    DIRECTOR,
    SIREN,
    SMTP_PASSWORD,
    SMTP_USER,
    TERRITORY,
    LinkParser,
    digest_env,
    fiche_code,
    free_port,
    make_certificate,
    parts,
    run_cli,
    send_once,
    start_server,
    text_sections,
)

WEEKS = 4
LATE, ENDING = "Actions en retard", "Échéance dans les 30 prochains jours"
STALE = f"Sans note de suivi depuis {WEEKS} semaines"
DECIDE = "À décider"
TODAY = dt.date.today()
FRENCH_TODAY = TODAY.strftime("%d/%m/%Y")


def codes(con, sql: str, **params) -> list[str]:
    return [row[0] for row in con.execute(sql, params).fetchall()]


def pilot_lists(con, address: str) -> dict[str, set[str]]:
    """The three lists of a pilot's digest, straight from the warehouse."""
    base = (
        "select code from action_status where territory_id = $t and pilot_email = $e "
        "and status not in (select status from statuses where is_done) and "
    )
    return {
        LATE: set(codes(con, base + "is_late", t=TERRITORY, e=address)),
        ENDING: set(
            codes(
                con,
                base + "not is_late and planned_end between late_as_of "
                "and late_as_of + interval 30 day",
                t=TERRITORY,
                e=address,
            )
        ),
        STALE: set(
            codes(
                con,
                base + "(last_note_date is null or last_note_date < late_as_of - "
                f"interval {7 * WEEKS} day)",
                t=TERRITORY,
                e=address,
            )
        ),
    }


@pytest.fixture(scope="module")
def sent(demo_warehouse: Path, tmp_path_factory):
    """One real sending run, as cron runs it, with one pilot opted out beforehand."""
    tmp = tmp_path_factory.mktemp("digest")
    preferences.set_opt_out("lea.dubois@example.org", True, "test", tmp / "preferences.json")
    result, messages = send_once(tmp, demo_warehouse, "--envoyer")
    return result, messages, tmp


@pytest.fixture(scope="module")
def con(demo_db):
    """The session's read-only connection (DuckDB refuses a second one of another config)."""
    return demo_db


def by_recipient(messages) -> dict[str, object]:
    return {received.rcpt_tos[0]: received for received in messages}


def test_sending_is_quiet_and_reaches_every_pilot_and_the_director(sent, con):
    result, messages, tmp = sent
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == ""
    pilots = set(
        codes(
            con,
            "select distinct pilot_email from actions where territory_id = $t "
            "and pilot_email is not null",
            t=TERRITORY,
        )
    )
    assert len(pilots) == 4
    expected = (pilots - {"lea.dubois@example.org"}) | {DIRECTOR}  # Léa opted out
    assert all(len(m.rcpt_tos) == 1 for m in messages)
    assert {m.rcpt_tos[0] for m in messages} == expected
    for received in messages:
        assert received.mail_from == "pilotage@example.org"
        assert received.rcpt_tos[0] in received.message["To"]
    entries = [json.loads(line) for line in (tmp / "journal.jsonl").read_text().splitlines()]
    assert sorted(e["recipient"] for e in entries if e["event"] == "digest_sent") == sorted(
        expected
    )


def test_pilot_messages_list_what_the_warehouse_says(sent, con):
    _result, messages, _tmp = sent
    for address, received in by_recipient(messages).items():
        if address == DIRECTOR:
            continue
        message = received.message
        subject = message["Subject"]
        assert "\n" not in subject
        assert "\r" not in subject
        expected = pilot_lists(con, address)
        assert subject == (
            "Pilotage territorial — CA Grand Saint-Dizier, Der & Vallées — vos actions : "
            f"{len(expected[LATE])} en retard, {len(expected[ENDING])} à échéance sous "
            f"30 jours ({FRENCH_TODAY})"
        )
        text, html = parts(message)
        listed = text_sections(text)
        assert {title: set(found) for title, found in listed.items()} == expected, address
        parser = LinkParser()
        parser.feed(html)
        for title, wanted in expected.items():
            assert {fiche_code(link) for link in parser.sections[title]} == wanted, title
        name = con.execute(
            "select any_value(pilot_name) from actions where pilot_email = $e", {"e": address}
        ).fetchone()[0]
        assert f"Bonjour {name}," in text
        assert f"Bonjour {name}," in html
        assert "[démo]" in text
        assert "données de démonstration" in text


def test_every_fiche_link_opens_an_existing_action(sent, con):
    _result, messages, _tmp = sent
    known = set(codes(con, "select code from actions where territory_id = $t", t=TERRITORY))
    for received in messages:
        text, html = parts(received.message)
        parser = LinkParser()
        parser.feed(html)
        fiche = [fiche_code(link) for link in parser.links if fiche_code(link)]
        assert fiche, received.rcpt_tos
        assert set(fiche) <= known
        for link in parser.links:
            assert link.startswith(BASE_URL + "/"), link
            assert link in text, f"{link} missing from the text part"


def test_dates_are_french_and_match_the_planned_ends(sent, con):
    _result, messages, _tmp = sent
    ends = dict(
        con.execute(
            "select code, strftime(planned_end, '%d/%m/%Y') from actions where territory_id = $t",
            {"t": TERRITORY},
        ).fetchall()
    )
    for received in messages:
        text, html = parts(received.message)
        assert FRENCH_TODAY in text
        assert FRENCH_TODAY in html
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "ISO date in a message"
        for code, end in re.findall(r"- (\S+) — .*\n  .*fin prévue le (\d{2}/\d{2}/\d{4})", text):
            assert ends[code] == end, code


def test_director_message_has_figures_changes_and_decisions(sent, con):
    _result, messages, _tmp = sent
    message = by_recipient(messages)[DIRECTOR].message
    text, _html = parts(message)
    n_actions, n_late = con.execute(
        "select count(*), count(*) filter (where is_late) from action_status "
        "where territory_id = $t",
        {"t": TERRITORY},
    ).fetchone()
    assert f"Actions : {n_actions} ·" in text
    assert f"En retard : {n_late} ·" in text
    decisions = set(
        codes(
            con,
            "select a.code from action_status as a left join latest_weather as w "
            "using (action_id) where a.territory_id = $t "
            "and a.status not in (select status from statuses where is_done) and "
            "(a.status = 'Bloqué' or w.weather = 'orageux' or exists (select 1 from followups "
            "as f where f.action_id = a.action_id and f.note_type = 'difficulté / risque' "
            f"and f.note_date >= a.late_as_of - interval {7 * WEEKS} day))",
            t=TERRITORY,
        )
    )
    since = (TODAY - dt.timedelta(days=7)).strftime("%d/%m/%Y")
    listed = text_sections(text)
    assert set(listed[DECIDE]) == decisions
    assert decisions
    # Changes: the latest snapshot against the last one taken before the week (the state of
    # 22/09/2026 typed in the demo sources, the only one older than a week in a fresh build).
    changed = set(
        codes(
            con,
            "with old as (select * from snapshot_actions where snapshot_id = $old), "
            "new as (select * from snapshot_actions where snapshot_id = $new) "
            "select coalesce(new.code, old.code) from new full join old using (action_id) "
            "where old.action_id is null or new.action_id is null "
            "or old.status is distinct from new.status "
            "or old.planned_end is distinct from new.planned_end "
            "or abs(coalesce(old.progress, -1) - coalesce(new.progress, -1)) >= 0.5 "
            "or coalesce(old.funding_granted, 0) <> coalesce(new.funding_granted, 0) "
            "or coalesce(old.funding_requested, 0) <> coalesce(new.funding_requested, 0) "
            "or coalesce(old.budget_planned, 0) <> coalesce(new.budget_planned, 0)",
            old=f"{TERRITORY}@2026-09-22",
            new=con.execute(
                "select snapshot_id from snapshots where territory_id = $t "
                "order by taken_at desc, seq desc limit 1",
                {"t": TERRITORY},
            ).fetchone()[0],
        )
    )
    assert set(listed[f"Ce qui a changé depuis le {since}"]) == changed
    assert changed
    assert "Comparé à : État saisi au 22/09/2026 (démo)." in text
    assert message["Subject"].startswith("Pilotage territorial — CA Grand Saint-Dizier")
    assert f"{len(changed)} changements, {len(decisions)} points à décider" in message["Subject"]


def test_every_message_says_how_to_unsubscribe_with_a_signed_link(sent):
    _result, messages, tmp = sent
    for received in messages:
        message = received.message
        address = received.rcpt_tos[0]
        text, html = parts(message)
        assert "Pour ne plus le recevoir" in text
        assert "Ne plus recevoir ce résumé" in html
        link = message["List-Unsubscribe"].strip("<>")
        assert link in text
        assert link.startswith(f"{BASE_URL}/resumes-courriel?")
        token = re.search(r"jeton=([0-9a-f]+)", link).group(1)
        assert f"desinscription={quote(address)}" in link
        key = bytes.fromhex((tmp / "session_secret").read_text().strip())  # the run's own key
        signed = hmac.new(key, b"digest-unsubscribe:" + address.encode(), hashlib.sha256)
        assert token == signed.hexdigest()[:32]


def test_dry_run_prints_and_sends_nothing(demo_warehouse, tmp_path):
    result, messages = send_once(
        tmp_path, demo_warehouse, "--destinataire", "karim.benali@example.org"
    )
    assert result.returncode == 0, result.stderr
    assert messages == []
    assert "1 message à envoyer" in result.stdout
    assert "À : Karim Benali <karim.benali@example.org> (pilote)" in result.stdout
    assert "== Actions en retard (2) ==" in result.stdout


def test_hostile_titles_are_escaped_and_names_add_no_header(demo_warehouse, tmp_path):
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    hostile = "<img src=x onerror=alert(1)> Filière & <b>piégée</b>"
    with duckdb.connect(str(copy)) as writable:
        writable.execute(
            "update actions set title = $title, pilot_name = $name where territory_id = $t "
            "and code = 'P2.A3.O2.a2'",
            {"title": hostile, "name": "Camille\r\nBcc: espion@example.net", "t": TERRITORY},
        )
    result, messages = send_once(
        tmp_path, copy, "--envoyer", "--destinataire", "camille.martin@example.org"
    )
    assert result.returncode == 0, result.stderr
    [received] = messages
    assert received.rcpt_tos == ["camille.martin@example.org"]
    assert received.message["Bcc"] is None
    text, html = parts(received.message)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;b&gt;piégée&lt;/b&gt;" in html
    assert hostile in text  # plain text is not HTML: shown as written


def test_smtp_down_says_so_in_french_without_traceback(demo_warehouse, tmp_path):
    env = digest_env(tmp_path, demo_warehouse, free_port())  # nobody listens there
    result = run_cli(env, "--territoire", SIREN, "--envoyer")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert "connexion refusée par le serveur SMTP 127.0.0.1" in result.stderr
    assert "5 message(s) sur 5 non envoyé(s)" in result.stderr
    entries = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert {e["event"] for e in entries} == {"digest_failed"}


@pytest.mark.parametrize(
    ("args", "extra", "message"),
    [
        (["--territoire", "999999999"], {}, "Territoire « 999999999 » inconnu"),
        (["--territoire", SIREN], {"PILOTAGE_SMTP_SECURITY": "tls13"}, "sécurité SMTP « tls13 »"),
        (["--territoire", SIREN], {"PILOTAGE_SMTP_PORT": "smtp"}, "port SMTP : « smtp »"),
        (["--territoire", SIREN], {"PILOTAGE_BASE_URL": ""}, "adresse publique"),
        (["--territoire", SIREN, "--semaines", "0"], {}, "--semaines"),
        (
            ["--territoire", SIREN, "--destinataire", "inconnu@example.org"],
            {},
            "aucun résumé pour inconnu@example.org",
        ),
    ],
)
def test_wrong_settings_or_arguments_exit_2_in_french(
    demo_warehouse, tmp_path, args, extra, message
):
    env = digest_env(tmp_path, demo_warehouse, free_port(), **extra)
    result = run_cli(env, *args, "--envoyer")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("Erreur : ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_login_to_the_server_and_a_refused_password(demo_warehouse, tmp_path):
    controller, inbox = start_server(with_auth=True)
    try:
        good = digest_env(
            tmp_path,
            demo_warehouse,
            controller.port,
            PILOTAGE_SMTP_USER=SMTP_USER,
            PILOTAGE_SMTP_PASSWORD=SMTP_PASSWORD,
        )
        ok = run_cli(good, "--territoire", SIREN, "--envoyer", "--direction")
        bad = dict(good, PILOTAGE_SMTP_PASSWORD="mauvais-mot-de-passe")
        refused = run_cli(bad, "--territoire", SIREN, "--envoyer", "--direction")
    finally:
        controller.stop()
    assert ok.returncode == 0, ok.stderr
    assert [m.rcpt_tos for m in inbox.messages] == [[DIRECTOR]]
    assert refused.returncode == 1
    assert "identifiant ou mot de passe SMTP refusé" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_commission_report_attached_to_the_director_message(demo_warehouse, tmp_path):
    result, messages = send_once(
        tmp_path, demo_warehouse, "--envoyer", "--direction", "--rapport-commission"
    )
    assert result.returncode == 0, result.stderr
    [received] = messages
    [attachment] = list(received.message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().startswith("rapport_saint-dizier_plan_")
    assert attachment.get_content().startswith(b"%PDF")
    assert parts(received.message)[0].startswith("Pilotage territorial")


def test_this_weeks_notes_show_with_their_author_and_raise_decisions(demo_warehouse, tmp_path):
    """A note written today (with its author) is in « what changed »; a difficulty and a
    stormy météo put their actions in « À décider »."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(demo_warehouse, copy)
    notes = [
        ("P1.A1.O1.a1", "décision", None, "Le bureau valide le <b>lieu totem</b>."),
        ("P2.A1.O1.a3", "difficulté / risque", None, "Entreprise défaillante."),
        ("P2.A1.O3.a3", "avancement", "orageux", "Travaux arrêtés."),
    ]
    with duckdb.connect(str(copy)) as writable:
        for index, (code, kind, weather, text) in enumerate(notes):
            writable.execute(
                "insert into followups (followup_id, territory_id, action_id, note_date, author, "
                "note_type, weather, weather_reason, text, is_demo, provenance) values ($id, $t, "
                "$t || ':' || $code, current_date, 'Marie Dupont', $kind, $weather, "
                "case when $weather is null then null else 'Chantier arrêté' end, $text, false, "
                "'sourced')",
                {
                    "id": f"test:{index}",
                    "t": TERRITORY,
                    "code": code,
                    "kind": kind,
                    "weather": weather,
                    "text": text,
                },
            )
    result, messages = send_once(tmp_path, copy, "--envoyer", "--direction")
    assert result.returncode == 0, result.stderr
    [received] = messages
    text, html = parts(received.message)
    since = (TODAY - dt.timedelta(days=7)).strftime("%d/%m/%Y")
    listed = text_sections(text)
    assert {"P1.A1.O1.a1", "P2.A1.O1.a3", "P2.A1.O3.a3"} <= set(
        listed[f"Ce qui a changé depuis le {since}"]
    )
    assert (
        f"Note de suivi (décision) du {FRENCH_TODAY} : Le bureau valide le <b>lieu totem</b>. "
        "· par Marie Dupont" in text
    )
    assert "&lt;b&gt;lieu totem&lt;/b&gt;" in html
    assert {"P2.A1.O1.a3", "P2.A1.O3.a3"} <= set(listed[DECIDE])
    assert f"difficulté / risque signalé le {FRENCH_TODAY}" in text
    assert f"météo orageuse au {FRENCH_TODAY} (Chantier arrêté)" in text


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_encrypted_sessions_with_login_and_a_trusted_certificate(
    demo_warehouse, tmp_path, certificate, security
):
    controller, inbox = start_server(with_auth=True, tls=security, certificate=certificate)
    try:
        env = digest_env(
            tmp_path,
            demo_warehouse,
            controller.port,
            PILOTAGE_SMTP_SECURITY=security,
            PILOTAGE_SMTP_USER=SMTP_USER,
            PILOTAGE_SMTP_PASSWORD=SMTP_PASSWORD,
            PILOTAGE_SMTP_CA_FILE=str(certificate[0]),
        )
        trusted = run_cli(env, "--territoire", SIREN, "--envoyer", "--direction")
        untrusted_env = {k: v for k, v in env.items() if k != "PILOTAGE_SMTP_CA_FILE"}
        untrusted = run_cli(untrusted_env, "--territoire", SIREN, "--envoyer", "--direction")
    finally:
        controller.stop()
    assert trusted.returncode == 0, trusted.stderr
    assert [m.rcpt_tos for m in inbox.messages] == [[DIRECTOR]]  # the untrusted run sent none
    assert untrusted.returncode == 1
    assert "certificat du serveur SMTP 127.0.0.1" in untrusted.stderr
    assert "PILOTAGE_SMTP_CA_FILE" in untrusted.stderr
    assert "Traceback" not in untrusted.stderr


def test_a_server_without_starttls_is_named_in_french(demo_warehouse, tmp_path):
    result, messages = send_once(
        tmp_path, demo_warehouse, "--envoyer", "--direction", PILOTAGE_SMTP_SECURITY="starttls"
    )
    assert result.returncode == 1
    assert messages == []
    assert "ne propose pas STARTTLS" in result.stderr


def test_settings_are_read_from_secrets_toml_and_the_environment_wins(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        '[pilotage]\nbase_url = "https://pilotage.example.fr/"\n'
        '[pilotage.smtp]\nhost = "smtp.example.fr"\nsecurity = "ssl"\nuser = "u"\n'
        'password = "p"\nsender = "Pilotage <p@example.fr>"\n'
        '[pilotage.digest]\nweeks = 6\ndirectors = { "200068666" = ["DGS@Example.fr"] }\n',
        encoding="utf-8",
    )
    read = settings.load_settings(env={}, path=secrets)
    assert read.base_url == "https://pilotage.example.fr"
    assert (read.smtp.host, read.smtp.port, read.smtp.security) == ("smtp.example.fr", 465, "ssl")
    assert read.weeks == 6
    assert read.directors == {"200068666": ("dgs@example.fr",)}
    env = {"PILOTAGE_SMTP_PORT": "2465", "PILOTAGE_DIGEST_WEEKS": "2"}
    overridden = settings.load_settings(env=env, path=secrets)
    assert (overridden.smtp.port, overridden.weeks) == (2465, 2)
    secrets.write_text("[pilotage\nbase_url = ", encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="fichier de réglages illisible"):
        settings.load_settings(env={}, path=secrets)
