-- Legal population per COG year summed over the communes of each chosen EPCI.
select e.siren, e.name, i.year, sum(i.value) as population, count(*) as n_communes,
       bool_and(i.is_repeat) as all_repeat
from indicators as i
join communes as c using (insee_code)
join epci as e on e.siren = c.epci_siren
where i.indicator = 'population_legale'
  and e.siren in (select unnest(string_split($sirens, ',')))
group by all
order by e.name, i.year
