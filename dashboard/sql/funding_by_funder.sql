with lines as (
    select funder_type, funder, coalesce(funding_line, '—') as funding_line,
           count(distinct action_id) as n_actions, count(*) as n_lines,
           sum(requested) as requested, sum(granted) as granted, sum(received) as received,
           bool_or(is_demo) as has_demo_lines
    from funding
    where territory_id = $territory
    group by all
),
final as (
    select *, granted / nullif(sum(granted) over (), 0) as share_of_granted
    from lines
)
select * from final order by granted desc nulls last, funder
