-- Headline counts and amounts of one territory in the published (old) and candidate (new) files.
with totals as (
    select 'old' as side,
        (select count(*) from old.plan_items where territory_id = $territory) as plan_items,
        (select count(*) from old.actions where territory_id = $territory) as actions,
        (select sum(planned) from old.action_costs where territory_id = $territory) as budget,
        (select sum(granted) from old.funding where territory_id = $territory) as granted,
        (select count(*) from old.followups where territory_id = $territory) as followups
    union all
    select 'new' as side,
        (select count(*) from new.plan_items where territory_id = $territory),
        (select count(*) from new.actions where territory_id = $territory),
        (select sum(planned) from new.action_costs where territory_id = $territory),
        (select sum(granted) from new.funding where territory_id = $territory),
        (select count(*) from new.followups where territory_id = $territory)
),
final as (
    select * from totals
)
select * from final
