-- Actions of a territory for the projets-territoire export: planned spending, themes, the
-- programme (type of the contract that grants it most), first seen and last changed snapshots.
with costs as (
    select action_id, sum(planned) as budget_planned
    from budget_lines
    where territory_id = $territory and direction = 'Dépense'
    group by action_id
),
programmes as (
    select f.action_id,
           arg_max(c.contract_type, coalesce(f.granted, f.requested, 0)) as programme
    from funding as f
    join contracts as c on c.contract_id = f.contract_id
    where f.territory_id = $territory
    group by f.action_id
),
states as (
    select sa.action_id, s.taken_at,
           md5(concat_ws('|', sa.title, sa.status, sa.progress, sa.planned_start, sa.planned_end,
                         sa.actual_end, sa.budget_planned, sa.funding_requested,
                         sa.funding_granted, sa.funding_received)) as state
    from snapshot_actions as sa
    join snapshots as s using (snapshot_id)
    where s.territory_id = $territory
),
changes as (
    select action_id, taken_at,
           state is distinct from lag(state) over (partition by action_id order by taken_at)
               as changed
    from states
),
history as (
    select action_id, min(taken_at) as first_seen,
           max(taken_at) filter (where changed) as last_changed
    from changes
    group by action_id
),
final as (
    select a.action_id, a.code, a.title, a.description, a.status, a.status_given, a.is_late,
           a.planned_start, a.planned_end, a.themes, a.is_demo, a.sort_order,
           c.budget_planned, p.programme, h.first_seen, h.last_changed
    from action_status as a
    left join costs as c using (action_id)
    left join programmes as p using (action_id)
    left join history as h using (action_id)
    where a.territory_id = $territory
)
select * exclude (sort_order) from final order by sort_order
