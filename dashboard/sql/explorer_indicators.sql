-- Every indicator value (all years) of the territory's communes, for the Explorateur's pivot.
with members as (
    select insee_code from territory_communes where territory_id = $territory
),
final as (
    select c.name || ' (' || i.insee_code || ')' as commune, i.insee_code, i.label, i.year,
           i.unit, i.value, i.source
    from indicators as i
    join members as m using (insee_code)
    join communes as c using (insee_code)
    where not i.is_secret
)
select * from final order by commune, label, year
