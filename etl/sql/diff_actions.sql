-- Actions of one territory: published (old) against candidate (new), by action code.
with old_actions as (
    select a.code, a.title, a.status, a.progress, a.planned_start, a.planned_end,
           a.pilot_service, c.planned as budget
    from old.actions as a
    left join old.action_costs as c using (action_id)
    where a.territory_id = $territory
),
new_actions as (
    select a.code, a.title, a.status, a.progress, a.planned_start, a.planned_end,
           a.pilot_service, c.planned as budget
    from new.actions as a
    left join new.action_costs as c using (action_id)
    where a.territory_id = $territory
),
compared as (
    select
        coalesce(n.code, o.code) as code,
        coalesce(n.title, o.title) as title,
        case
            when o.code is null then 'ajoutée'
            when n.code is null then 'supprimée'
            else 'modifiée'
        end as change,
        case when o.code is null or n.code is null then '' else concat_ws(', ',
            case when o.title is distinct from n.title then 'intitulé' end,
            case when o.status is distinct from n.status
                then 'statut : ' || coalesce(o.status, '—') || ' → ' || coalesce(n.status, '—') end,
            case when o.progress is distinct from n.progress then 'avancement' end,
            case when o.planned_start is distinct from n.planned_start then 'début prévu' end,
            case when o.planned_end is distinct from n.planned_end then 'fin prévue' end,
            case when o.pilot_service is distinct from n.pilot_service then 'service pilote' end,
            case when o.budget is distinct from n.budget then 'budget' end
        ) end as details,
        o.budget as budget_before,
        n.budget as budget_after
    from old_actions as o
    full outer join new_actions as n using (code)
),
final as (
    select * from compared
    where change <> 'modifiée' or details <> ''
)
select * from final order by change, code
