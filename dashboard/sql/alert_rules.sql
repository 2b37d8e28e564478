-- The alert rules of a territory with their thresholds (defaults or sheet alertes).
select rule, label, threshold, unit, is_alert, is_active, is_default
from alert_rules
where territory_id = $territory
