-- title: sources (`vaultlab info`)
select source, count(*) as events, min(ts) as first_event, max(ts) as last_event
from events group by source order by source
