-- Open-data package: communes named by the territory's actions, with the action's demo flag.
select ac.action_id, ac.insee_code, a.is_demo
from action_communes as ac
join actions as a using (action_id)
where a.territory_id = $territory
order by a.sort_order, ac.insee_code
