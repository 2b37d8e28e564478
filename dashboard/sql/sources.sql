select file, kind, checksum, rows, millesime, loaded_at
from sources
where territory_id = $territory or territory_id is null
order by territory_id nulls last, file
