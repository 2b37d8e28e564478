-- How many amounts come from a source document and how many are demonstration data.
select 'financements' as kind, is_demo, count(*) as n_lines, sum(granted) as amount
from funding where territory_id = $territory group by all
union all
select 'budget' as kind, is_demo, count(*) as n_lines, sum(planned) as amount
from budget_lines where territory_id = $territory group by all
