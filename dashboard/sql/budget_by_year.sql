select year, section, direction, sum(planned) as planned, sum(committed) as committed,
       sum(paid) as paid, count(distinct action_id) as n_actions, bool_or(is_demo) as has_demo_lines
from budget_lines
where territory_id = $territory
group by all
order by year, section, direction
