-- title: anomaly occurrences in the period
select signal, severity, first_seen::varchar as first_seen, events, reason from anomalies order by all
