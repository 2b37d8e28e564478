-- INSEE values of the territory's communes with the commune's population of the same year (weights).
with members as (
    select insee_code from territory_communes where territory_id = $territory
),
values_ as (
    select i.insee_code, i.indicator, i.label, i.unit, i.year, i.value, i.is_secret, i.source
    from indicators as i
    join members using (insee_code)
    where i.indicator != 'population_legale'
),
weights as (
    select insee_code, year, value as weight
    from values_
    where indicator = 'POP' and value is not null
)
select v.*, w.weight
from values_ as v
left join weights as w using (insee_code, year)
order by v.indicator, v.year
