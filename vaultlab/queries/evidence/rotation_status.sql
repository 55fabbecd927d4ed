-- title: rotation status
-- about: one row per inventoried secret: its rotation status as of the period end (view rotation_status)
select * from rotation_status
