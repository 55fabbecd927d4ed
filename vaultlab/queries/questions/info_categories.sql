-- title: categories (`vaultlab info`)
select category,
       count(*) as events,
       count(*) filter (where outcome = 'ok') as ok,
       count(*) filter (where outcome = 'denied') as denied,
       count(*) filter (where outcome = 'error') as error
from events group by category order by category
