-- title: quarantine (`vaultlab info`)
select reason, count(*) as lines from quarantine group by reason order by lines desc, reason
