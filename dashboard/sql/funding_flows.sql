-- Granted amounts from funder type to contract to first-level item of the plan (for the Sankey).
select
    f.funder_type,
    coalesce(c.name, 'Hors contrat') as contract,
    marked_title(r.title, r.provenance) as root_title,
    sum(f.granted) as granted,
    count(*) as n_lines
from funding as f
join actions as a using (action_id)
join plan_items as r on r.item_id = a.root_item_id
left join contracts as c on c.contract_id = f.contract_id
where f.territory_id = $territory and f.granted is not null
group by all
order by granted desc
