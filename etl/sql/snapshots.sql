-- Snapshots of the plan's state, taken at each build (see etl/snapshots.py).
-- name: current state
-- One row per action as it stands in the warehouse being built.
create temp table candidate as
with costs as (
    select action_id, sum(planned) as budget_planned
    from budget_lines
    where direction = 'Dépense'
    group by action_id
),
funds as (
    select action_id, sum(requested) as funding_requested, sum(granted) as funding_granted,
           sum(received) as funding_received
    from funding
    group by action_id
),
final as (
    select a.territory_id, a.action_id, a.code, a.title, a.root_item_id, a.status, a.progress,
           a.planned_start, a.planned_end, a.actual_end, c.budget_planned, f.funding_requested,
           f.funding_granted, f.funding_received, a.is_demo
    from actions as a
    left join costs as c using (action_id)
    left join funds as f using (action_id)
)
select * from final;
-- name: declared snapshots
-- Earlier states typed in the sources: rebuilt from them at every build, never carried over.
insert into snapshots by name
select territory_id || '@' || strftime(state_date, '%Y-%m-%d') as snapshot_id, territory_id,
       0 as seq, cast(state_date as timestamp) as taken_at, 'declared' as origin,
       md5(string_agg(state_id, ',' order by state_id)) as content_hash, count(*) as n_actions,
       bool_or(is_demo) as is_demo
from declared_states
group by territory_id, state_date;
-- name: declared snapshot actions
insert into snapshot_actions by name
select s.territory_id || '@' || strftime(s.state_date, '%Y-%m-%d') as snapshot_id, s.action_id,
       a.code, a.title, a.root_item_id, s.status, s.progress, s.planned_start, s.planned_end,
       s.actual_end, s.budget_planned, s.funding_requested, s.funding_granted,
       s.funding_received, s.is_demo
from declared_states as s
join actions as a using (action_id);
-- name: new snapshots
-- A territory gets a new snapshot only when its content differs from its latest one.
create temp table new_snapshots as
with hashed as (
    select territory_id,
           md5(string_agg(
               cast(struct_pack(
                   action_id, code, title, root_item_id, status, progress, planned_start,
                   planned_end, actual_end, budget_planned, funding_requested, funding_granted,
                   funding_received, is_demo
               ) as varchar),
               chr(10) order by action_id
           )) as content_hash,
           count(*) as n_actions,
           bool_or(is_demo) as is_demo
    from candidate
    group by territory_id
),
latest as (
    select territory_id, content_hash
    from snapshots
    qualify row_number() over (partition by territory_id order by taken_at desc, seq desc) = 1
),
numbers as (
    select territory_id, max(seq) as seq from snapshots where origin = 'build' group by all
),
final as (
    select h.territory_id || '#' || (coalesce(n.seq, 0) + 1) as snapshot_id, h.territory_id,
           coalesce(n.seq, 0) + 1 as seq, cast($taken_at as timestamp) as taken_at,
           'build' as origin, h.content_hash, h.n_actions, h.is_demo
    from hashed as h
    left join latest as l using (territory_id)
    left join numbers as n using (territory_id)
    where l.content_hash is distinct from h.content_hash
)
select * from final;
-- name: insert snapshots
insert into snapshots by name select * from new_snapshots;
-- name: insert snapshot actions
insert into snapshot_actions by name
select n.snapshot_id, c.* exclude (territory_id)
from candidate as c
join new_snapshots as n using (territory_id);
-- name: drop work tables
drop table candidate;
drop table new_snapshots;
