with scoped as (
    select * from action_status where territory_id = $territory
),
costs as (
    select action_id, planned, committed, paid
    from action_costs
    where territory_id = $territory
),
funds as (
    select sum(requested) as requested, sum(granted) as granted, sum(received) as received
    from funding
    where territory_id = $territory
),
final as (
    select
        count(*) as n_actions,
        count(*) filter (where status = 'Réalisé') as n_done,
        count(*) filter (where status = 'En cours') as n_in_progress,
        count(*) filter (where status = 'À venir') as n_not_started,
        count(*) filter (where status = 'En pause') as n_paused,
        count(*) filter (where status = 'Bloqué') as n_blocked,
        count(*) filter (where status = 'Abandonné') as n_abandoned,
        count(*) filter (where is_late) as n_late,
        count(*) filter (where progress is not null) as n_with_progress,
        avg(progress) as progress_by_count,
        sum(progress * c.planned) / nullif(sum(c.planned) filter (where progress is not null), 0)
            as progress_by_budget,
        sum(c.planned) as budget_planned,
        sum(c.committed) as budget_committed,
        sum(c.paid) as budget_paid,
        count(c.action_id) as n_with_budget,
        count(*) filter (where is_demo) as n_demo,
        (select requested from funds) as funding_requested,
        (select granted from funds) as funding_granted,
        (select received from funds) as funding_received
    from scoped
    left join costs as c using (action_id)
)
select * from final
