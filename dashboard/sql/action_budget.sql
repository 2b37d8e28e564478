select year, section, direction, sum(planned) as planned, sum(committed) as committed,
       sum(paid) as paid, bool_or(is_demo) as has_demo_lines
from budget_lines
where territory_id = $territory and action_id = $action
group by all
order by year, section, direction
