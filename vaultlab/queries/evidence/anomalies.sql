-- title: anomalies
-- about: one row per anomaly signal occurrence in the period (view anomalies)
select * from anomalies
