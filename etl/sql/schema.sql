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

-- Result indicators of actions and plan items (sheet indicateurs): baseline, target, direction.
create table result_indicators (
    indicator_id varchar primary key,
    territory_id varchar not null,
    code varchar not null,
    action_id varchar,  -- the action it measures, or
    item_id varchar,  -- the plan item it measures (exactly one of the two)
    root_item_id varchar,
    label varchar not null,
    unit varchar,
    higher_is_better boolean not null,
    baseline_value double,
    baseline_date date,
    target_value double,
    target_date date,
    series varchar,  -- a loaded commune indicator (indicators.indicator) giving its values
    sort_order integer not null,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

-- Measured values typed in sheet mesures, and the intermediate milestones of a trajectory.
create table result_measures (
    measure_id varchar primary key,
    territory_id varchar not null,
    indicator_id varchar not null,
    kind varchar not null,  -- 'measure' or 'milestone'
    measure_date date not null,
    value double not null,
    source varchar,
    is_demo boolean not null,
    provenance varchar not null
);

-- Thresholds of the alert rules per territory (etl/schema.py ALERT_RULES, sheet alertes).
create table alert_rules (
    territory_id varchar not null,
    rule varchar not null,
    label varchar not null,
    threshold double not null,
    unit varchar not null,
    is_alert boolean not null,
    is_active boolean not null,
    is_default boolean not null,
    primary key (territory_id, rule)
);

-- Every measured value of an indicator: typed in `mesures`, or read from its series (summed
-- over its action's communes, else the territory's; a year counts only when every one of those
-- communes has a value, and a rate or a median only for a single commune: it does not add up).
create view result_points as
with typed as (
    select territory_id, indicator_id, measure_date as point_date, value, source,
           null::varchar as millesime, 'saisie' as origin, is_demo, provenance
    from result_measures
    where kind = 'measure'
),
scope as (
    select r.territory_id, r.indicator_id, r.series, ac.insee_code
    from result_indicators as r
    join action_communes as ac on ac.action_id = r.action_id
    where r.series is not null
    union all
    select r.territory_id, r.indicator_id, r.series, tc.insee_code
    from result_indicators as r
    join territory_communes as tc on tc.territory_id = r.territory_id
    where r.series is not null
      and not exists (select 1 from action_communes as ac where ac.action_id = r.action_id)
),
scope_sizes as (
    select indicator_id, count(distinct insee_code) as n_communes
    from scope
    group by indicator_id
),
series_values as (
    select s.territory_id, s.indicator_id, i.year, sum(i.value) as value,
           count(i.value) as n_values, min(i.unit) as unit, min(i.source) as source,
           min(i.millesime) as millesime
    from scope as s
    join indicators as i on i.insee_code = s.insee_code and i.indicator = s.series
    group by s.territory_id, s.indicator_id, i.year
),
series as (
    select v.territory_id, v.indicator_id, make_date(v.year, 1, 1) as point_date, v.value,
           v.source, v.millesime, 'série' as origin, false as is_demo, 'sourced' as provenance
    from series_values as v
    join scope_sizes as z using (indicator_id)
    where v.n_values = z.n_communes
      and (z.n_communes = 1 or coalesce(v.unit, '') not in ('%', '€'))
),
final as (
    select * from typed
    union all by name
    select * from series
)
select * from final;

-- The points a trajectory goes through: baseline, milestones, target (linear in between).
create view result_anchors as
select indicator_id, 'baseline' as kind, baseline_date as anchor_date, baseline_value as value
from result_indicators
where baseline_date is not null
union all
select indicator_id, 'milestone', measure_date, value
from result_measures
where kind = 'milestone'
union all
select indicator_id, 'target', target_date, target_value
from result_indicators
where target_date is not null;

-- The value the trajectory expects for `indicator` at `on_date`: linear between the anchors
-- around it, the target after the target date, none before the baseline.
create macro trajectory_at(indicator, on_date) as (
    with earlier as (
        select anchor_date as d, value as v
        from result_anchors
        where indicator_id = indicator and anchor_date <= on_date
        order by anchor_date desc
        limit 1
    ),
    later as (
        select anchor_date as d, value as v
        from result_anchors
        where indicator_id = indicator and anchor_date >= on_date
        order by anchor_date
        limit 1
    )
    select case
        when later.d is null or later.d = earlier.d then earlier.v
        else earlier.v + (later.v - earlier.v) * (on_date - earlier.d) / (later.d - earlier.d)
    end
    from earlier
    left join later on true
);

-- Each indicator's latest value, share of the target reached, where the trajectory expects it,
-- the gap and its status: computed here only, never typed.
create view result_status as
with latest as (
    select *
    from result_points
    qualify row_number() over (partition by indicator_id order by point_date desc) = 1
),
counts as (
    select indicator_id, count(*) as n_points
    from result_points
    group by indicator_id
),
computed as (
    select
        r.*,
        l.point_date as latest_date,
        l.value as latest_value,
        l.source as latest_source,
        l.millesime as latest_millesime,
        l.origin as latest_origin,
        l.provenance as latest_provenance,
        coalesce(c.n_points, 0) as n_points,
        case
            when r.baseline_date is not null and r.target_date is not null
                 and l.point_date >= r.baseline_date
            then trajectory_at(r.indicator_id, l.point_date)
        end as expected_value,
        100 * (l.value - r.baseline_value) / (r.target_value - r.baseline_value)
            as share_reached,
        case
            when r.higher_is_better then l.value >= r.target_value
            else l.value <= r.target_value
        end as target_reached,
        tol.threshold as tolerance_points,
        coalesce(t.data_date, current_date) as as_of
    from result_indicators as r
    join territories as t on t.territory_id = r.territory_id
    left join latest as l on l.indicator_id = r.indicator_id
    left join counts as c on c.indicator_id = r.indicator_id
    left join alert_rules as tol
        on tol.territory_id = r.territory_id and tol.rule = 'trajectory_tolerance'
),
gaps as (
    select
        *,
        100 * (expected_value - baseline_value) / (target_value - baseline_value)
            as expected_share,
        share_reached
            - 100 * (expected_value - baseline_value) / (target_value - baseline_value)
            as gap_points
    from computed
),
final as (
    select
        *,
        case
            when gap_points is null then null
            when gap_points > tolerance_points then 'en avance'
            when gap_points < -tolerance_points then 'en retard'
            else 'sur la trajectoire'
        end as trajectory_status
    from gaps
)
select * from final;

-- « À surveiller » on results: one row per rule that fires, with what it observed (`observed`,
-- in the rule's unit) and its threshold. Rules and thresholds: alert_rules (docs/schema.md).
create view result_alerts as
with rules as (
    select territory_id, rule, label, threshold, unit
    from alert_rules
    where is_active and is_alert
),
indicator_rules as (
    select s.*, r.rule, r.label as rule_label, r.threshold, r.unit as threshold_unit
    from result_status as s
    join rules as r on r.territory_id = s.territory_id
),
behind as (
    select territory_id, rule, rule_label, threshold, threshold_unit, indicator_id, action_id,
           item_id, -gap_points as observed, as_of
    from indicator_rules
    where rule = 'behind_trajectory' and gap_points < -threshold
),
missed as (
    select territory_id, rule, rule_label, threshold, threshold_unit, indicator_id, action_id,
           item_id, (as_of - target_date)::double as observed, as_of
    from indicator_rules
    where rule = 'target_missed'
      and target_date + threshold::integer < as_of
      and not coalesce(target_reached, false)
),
steps as (
    select p.indicator_id, i.higher_is_better,
           row_number() over (partition by p.indicator_id order by p.point_date desc) as n,
           p.value,
           lead(p.value) over (partition by p.indicator_id order by p.point_date desc)
               as previous
    from result_points as p
    join result_indicators as i on i.indicator_id = p.indicator_id
),
worse_steps as (
    -- The last N values falling (or rising, for « baisse ») at each of their N - 1 steps.
    select s.indicator_id, r.threshold,
           count(*) filter (
               where case when s.higher_is_better then s.value < s.previous
                          else s.value > s.previous end
           ) as n_worse
    from steps as s
    join result_indicators as i on i.indicator_id = s.indicator_id
    join rules as r on r.territory_id = i.territory_id and r.rule = 'falling_trend'
    where s.n < r.threshold and s.previous is not null
    group by s.indicator_id, r.threshold
),
trend as (
    select territory_id, rule, rule_label, threshold, threshold_unit, indicator_id, action_id,
           item_id, threshold as observed, as_of
    from indicator_rules
    join worse_steps as w using (indicator_id, threshold)
    where rule = 'falling_trend' and w.n_worse = threshold - 1
),
stale as (
    select territory_id, rule, rule_label, threshold, threshold_unit, indicator_id, action_id,
           item_id, datediff('month', latest_date, as_of)::double as observed, as_of
    from indicator_rules
    where rule = 'stale_indicator'
      and not coalesce(target_reached, false)
      and (latest_date is null
           or latest_date < as_of - to_months(threshold::integer))
),
roots as (
    select p.territory_id, p.item_id, w.weather_date,
           coalesce(t.data_date, current_date) as as_of
    from plan_items as p
    join territories as t on t.territory_id = p.territory_id
    left join latest_weather as w on w.item_id = p.item_id
    where p.depth = 1
),
weather as (
    select r.territory_id, u.rule, u.label as rule_label, u.threshold,
           u.unit as threshold_unit, null::varchar as indicator_id, null::varchar as action_id,
           r.item_id, datediff('month', r.weather_date, r.as_of)::double as observed, r.as_of
    from roots as r
    join rules as u on u.territory_id = r.territory_id and u.rule = 'weather_missing'
    where r.weather_date is null or r.weather_date < r.as_of - to_months(u.threshold::integer)
),
money as (
    select a.territory_id, a.action_id, c.planned, sum(f.granted) as granted,
           a.late_as_of as as_of
    from action_status as a
    join action_costs as c on c.action_id = a.action_id
    join funding as f on f.action_id = a.action_id
    where a.status not in (select s.status from statuses as s where s.is_done)
      and c.planned > 0
    group by a.territory_id, a.action_id, c.planned, a.late_as_of
),
funding_gap as (
    select m.territory_id, u.rule, u.label as rule_label, u.threshold,
           u.unit as threshold_unit, null::varchar as indicator_id, m.action_id,
           null::varchar as item_id,
           (100 * (m.planned - coalesce(m.granted, 0)) / m.planned)::double as observed, m.as_of
    from money as m
    join rules as u on u.territory_id = m.territory_id and u.rule = 'funding_gap'
    where 100 * (m.planned - coalesce(m.granted, 0)) / m.planned > u.threshold
),
final as (
    select * from behind
    union all select * from missed
    union all select * from trend
    union all select * from stale
    union all select * from weather
    union all select * from funding_gap
)
select * from final;
