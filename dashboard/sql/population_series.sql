with members as (
    select insee_code from territory_communes where territory_id = $territory
),
final as (
    select i.insee_code, c.name, i.year, i.value, i.is_repeat, i.source, i.millesime
    from indicators as i
    join members using (insee_code)
    join communes as c using (insee_code)
    where i.indicator = 'population_legale'
)
select * from final order by name, year
