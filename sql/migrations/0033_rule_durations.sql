-- Duration rules hold whole minutes, written one way: days, then hours and minutes under a day
-- (what justify_hours makes). set_rule (definitions/20_rules.sql) writes them so; this CHECK
-- refuses any other write, so every value reads back and shows the same everywhere. A month
-- or a year has no fixed length and a second is below the grid: PostgreSQL kept '3 months' as
-- '3 mons', which the pages and `officehours rules show` could not read.
--
-- Rows written before are first put in that form, keeping the length describe_interval showed
-- for them (a month as 30 days), rounded to the minute.
UPDATE business_rules
SET duration_value = justify_hours(make_interval(
        secs => round(extract(epoch FROM duration_value) / 60) * 60))
WHERE duration_value IS NOT NULL
  AND (extract(year FROM duration_value) <> 0 OR extract(month FROM duration_value) <> 0
       OR extract(day FROM duration_value) < 0
       OR extract(hour FROM duration_value) NOT BETWEEN 0 AND 23
       OR extract(minute FROM duration_value) < 0
       OR extract(second FROM duration_value) <> 0);

ALTER TABLE business_rules ADD CONSTRAINT rule_duration_canonical CHECK (
    duration_value IS NULL OR (
        extract(year FROM duration_value) = 0 AND extract(month FROM duration_value) = 0
        AND extract(day FROM duration_value) >= 0
        AND extract(hour FROM duration_value) BETWEEN 0 AND 23
        AND extract(minute FROM duration_value) >= 0
        AND extract(second FROM duration_value) = 0));
COMMENT ON CONSTRAINT rule_duration_canonical ON business_rules IS 'A duration rule is whole minutes as days plus hours and minutes under a day: no months, years or seconds.';
