-- How many values of each kind of provenance the territory holds, per table: what the page
-- banner, the commission header and the report cover say (never « everything is sourced »).
with counted as (
    select 'plan' as part, provenance, count(*) as n
    from plan_items where territory_id = $territory group by all
    union all
    select 'actions', provenance, count(*)
    from actions where territory_id = $territory group by all
    union all
    select 'budget', provenance, count(*)
    from budget_lines where territory_id = $territory group by all
    union all
    select 'financements', provenance, count(*)
    from funding where territory_id = $territory group by all
    union all
    select 'contrats', provenance, count(*)
    from contracts where territory_id = $territory group by all
    union all
    select 'suivi', provenance, count(*)
    from followups where territory_id = $territory group by all
    union all
    select 'indicateurs', provenance, count(*)
    from result_indicators where territory_id = $territory group by all
    union all
    select 'mesures', provenance, count(*)
    from result_measures where territory_id = $territory group by all
    union all
    select 'statuts', 'not_given', count(*)
    from actions where territory_id = $territory and not status_given
)
select * from counted where n > 0 order by part, provenance
