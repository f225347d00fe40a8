-- The whole system's numbers are now the sum of its cities' at read, so that no counter row is
-- shared by the writes of different cities: the rows kept under the nil id go.
DELETE FROM stat_totals WHERE unit_id = '00000000-0000-0000-0000-000000000000';
DELETE FROM stat_daily WHERE unit_id = '00000000-0000-0000-0000-000000000000';
