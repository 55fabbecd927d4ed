-- title: age of each rotated secret against its allowed interval
select secret_id, kind, rotation_days,
vl_as_of_date() - vl_day(last_rotated_at) as age_days
from rotation_status where last_rotated_at is not null order by all
