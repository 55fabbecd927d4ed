-- title: access inventory
-- about: one row per actor and secret: reads, writes, denials in the period (view access_inventory)
select * from access_inventory
