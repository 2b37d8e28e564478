select item_id, code, parent_id, root_id, depth, level, marked_title(title, provenance) as title,
       description, path, sort_order, is_demo, provenance, source
from plan_items
where territory_id = $territory
order by sort_order
