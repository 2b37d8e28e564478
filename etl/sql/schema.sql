-- Warehouse tables, documented column by column in docs/schema.md.

-- The action statuses, written from etl/schema.py's declaration: SQL reads them from here.
create table statuses (
    status varchar primary key,
    is_done boolean not null,
    display_rank integer not null,
    is_typed boolean not null
);

-- Provenance levels, written from etl/schema.py's declaration (PROVENANCES).
create table provenances (
    key varchar primary key,
    typed varchar not null,
    label varchar not null,
    mark varchar not null
);

-- A plan title with its mark when it is not the document's own wording (reconstructed or
-- invented): « Axe 1 (reconstitué) ». The same mark as every table's « Provenance » column.
create macro marked_title(title, provenance) as title || coalesce(
    (
        select ' (' || p.mark || ')'
        from provenances as p
        where p.key = provenance and p.key in ('reconstructed', 'demo')
    ),
    ''
);

-- Lateness, defined once: a planned end passed at `as_of` and the action neither done nor
-- abandoned. Used by the action_status view (as of today) and for snapshots (as of their date).
create macro is_late_at(status, planned_end, as_of) as coalesce(
    planned_end < as_of
    and status not in (select s.status from statuses as s where s.is_done),
    false
);
create table build_info (
    built_at timestamp not null,
    etl_version varchar not null,
    reference_versions varchar not null
);

create table sources (
    territory_id varchar,
    file varchar not null,
    kind varchar not null,
    checksum varchar not null,
    rows integer,
    millesime varchar,
    loaded_at timestamp not null
);

create table communes (
    insee_code varchar primary key,
    name varchar not null,
    dept_code varchar,
    region_code varchar,
    epci_siren varchar,
    population integer,
    population_year integer,
    area_km2 double,
    density double,
    longitude double,
    latitude double,
    geometry blob
);

create table epci (
    siren varchar primary key,
    name varchar not null,
    epci_type varchar,
    n_communes integer not null,
    population bigint not null,
    population_year integer,
    area_km2 double
);

create table indicators (
    insee_code varchar not null,
    indicator varchar not null,
    label varchar not null,
    year integer not null,
    value double,
    unit varchar,
    source varchar not null,
    millesime varchar,
    is_repeat boolean not null default false,
    is_secret boolean not null default false
);

create table territories (
    territory_id varchar primary key,
    siren varchar not null unique,
    name varchar not null,
    territory_type varchar not null,
    region_code varchar,  -- the region given in `territoire.region` (its communes are checked)
    source_document varchar,
    description varchar,
    data_date date,
    n_communes integer not null,
    population bigint,
    population_year integer,
    area_km2 double,
    has_demo_data boolean not null,
    has_budget boolean not null,
    has_funding boolean not null
);

create table territory_communes (
    territory_id varchar not null,
    insee_code varchar not null,
    primary key (territory_id, insee_code)
);

create table territory_figures (
    territory_id varchar not null,
    indicator varchar not null,
    value double,
    unit varchar,
    year integer,
    source varchar not null,
    quote varchar
);

create table plan_items (
    item_id varchar primary key,
    territory_id varchar not null,
    code varchar not null,
    parent_id varchar,
    root_id varchar not null,
    depth integer not null,
    level varchar not null,
    title varchar not null,
    description varchar,
    path varchar not null,
    sort_order integer not null,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

create table actions (
    action_id varchar primary key,
    territory_id varchar not null,
    code varchar not null,
    item_id varchar not null,
    root_item_id varchar not null,
    title varchar not null,
    description varchar,
    status varchar,  -- empty: the source gives none (« Non renseigné » on screen)
    status_given boolean not null,
    progress double,
    planned_start date,
    planned_end date,
    actual_start date,
    actual_end date,
    pilot_service varchar,
    pilot_name varchar,  -- the person piloting the action (chargé de mission), if given
    pilot_email varchar,  -- lower case; the contributor who may update it, digest recipient
    elected_referent varchar,
    priority varchar,
    themes varchar[],
    epci_siren varchar,
    latitude double,
    longitude double,
    sort_order integer not null,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

create table action_communes (
    action_id varchar not null,
    insee_code varchar not null,
    primary key (action_id, insee_code)
);

create table budget_lines (
    line_id varchar primary key,
    territory_id varchar not null,
    action_id varchar not null,
    year integer not null,
    section varchar not null,
    direction varchar not null,
    planned decimal(18, 2),
    committed decimal(18, 2),
    paid decimal(18, 2),
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

create table contracts (
    contract_id varchar primary key,
    territory_id varchar not null,
    code varchar not null,
    contract_type varchar not null,
    name varchar not null,
    signatories varchar[],
    start_date date,
    end_date date,
    envelope decimal(18, 2),
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

create table funding (
    funding_id varchar primary key,
    territory_id varchar not null,
    action_id varchar not null,
    contract_id varchar,
    funder varchar not null,
    funder_type varchar not null,
    funding_line varchar,
    requested decimal(18, 2),
    granted decimal(18, 2),
    received decimal(18, 2),
    decision_date date,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

create table followups (
    followup_id varchar primary key,
    territory_id varchar not null,
    action_id varchar,  -- the action the note is about, or
    item_id varchar,  -- the plan item it is about (exactly one of the two)
    note_date date not null,
    author varchar,
    note_type varchar,  -- avancement, difficulté / risque, décision, prochaine étape, …
    status varchar,
    progress double,
    weather varchar,  -- soleil, nuageux, orageux
    weather_reason varchar,
    text varchar not null,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

-- Earlier states typed in the sources (sheet etats_anterieurs), turned into snapshots.
create table declared_states (
    state_id varchar primary key,
    territory_id varchar not null,
    action_id varchar not null,
    state_date date not null,
    status varchar not null,
    progress double,
    planned_start date,
    planned_end date,
    actual_end date,
    budget_planned decimal(18, 2),
    funding_requested decimal(18, 2),
    funding_granted decimal(18, 2),
    funding_received decimal(18, 2),
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

-- History: one dated snapshot per territory and build that changed something (see etl/snapshots.py).
create table snapshots (
    snapshot_id varchar primary key,
    territory_id varchar not null,
    seq integer not null,
    taken_at timestamp not null,
    origin varchar not null,  -- 'build' (taken by a build) or 'declared' (etats_anterieurs)
    content_hash varchar not null,
    n_actions integer not null,
    is_demo boolean not null
);

create table snapshot_actions (
    snapshot_id varchar not null,
    action_id varchar not null,
    code varchar not null,
    title varchar not null,
    root_item_id varchar,
    status varchar,
    progress double,
    planned_start date,
    planned_end date,
    actual_end date,
    budget_planned decimal(18, 2),
    funding_requested decimal(18, 2),
    funding_granted decimal(18, 2),
    funding_received decimal(18, 2),
    is_demo boolean not null,
    primary key (snapshot_id, action_id)
);

-- Spending per action (dépenses only): the cost of an action. No row = cost unknown, not zero.
create view action_costs as
select action_id, territory_id, sum(planned) as planned, sum(committed) as committed,
       sum(paid) as paid
from budget_lines
where direction = 'Dépense'
group by action_id, territory_id;

-- Lateness is derived, never typed: planned end passed and neither done nor abandoned, for a
-- given status only, judged at the territory's data date (a dated document) or else today.
-- A status the source does not give reads « Non renseigné » (statuses.is_typed = false).
create view action_status as
with last_notes as (
    select action_id, max(note_date) as last_note_date
    from followups
    group by action_id
),
final as (
    select
        a.* replace (
            coalesce(a.status, (select s.status from statuses as s where not s.is_typed))
                as status
        ),
        is_late_at(a.status, a.planned_end, coalesce(t.data_date, current_date)) as is_late,
        case
            when is_late_at(a.status, a.planned_end, coalesce(t.data_date, current_date))
            then coalesce(t.data_date, current_date) - a.planned_end
        end as days_late,
        coalesce(t.data_date, current_date) as late_as_of,
        n.last_note_date
    from actions as a
    join territories as t using (territory_id)
    left join last_notes as n using (action_id)
)
select * from final;

-- The latest météo of each action and each plan item (notes of `suivi` that give one).
create view latest_weather as
select territory_id, action_id, item_id, note_date as weather_date, weather, weather_reason,
       author, is_demo, provenance
from followups
where weather is not null
qualify row_number() over (
    partition by territory_id, action_id, item_id order by note_date desc, followup_id desc
) = 1;

-- Every change of an action with who and when: online updates and notes (journal
-- mises_a_jour.jsonl, origin « en ligne ») and changes by upload (origin « import »).
create table action_history (
    territory_id varchar not null,
    action_id varchar not null,
    code varchar not null,
    seq integer not null,  -- the journal line's position (order of changes in the territory)
    entry_id varchar not null,
    field varchar not null,  -- template column (statut, avancement, debut_reel…) or note
    field_label varchar not null,
    before varchar,  -- as shown: « En cours », « 45 % », « 23/03/2026 »; empty: not given
    after varchar,
    author_login varchar,
    author_name varchar not null,
    author_email varchar,
    changed_at timestamptz not null,
    origin varchar not null  -- en ligne, import
);

-- Where each territory's update journal stands in this build.
create table journal_positions (
    territory_id varchar primary key,
    last_seq integer not null,  -- the journal's last entry read
    import_base integer not null,  -- entries up to here are in the workbook or CSV files
    n_entries integer not null
);
