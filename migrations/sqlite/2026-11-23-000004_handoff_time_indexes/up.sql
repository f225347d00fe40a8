-- Handoff times over the last day are read per jurisdiction: index them by unit, then time, so
-- the read touches only the day's handoffs however long the history is.
CREATE INDEX handoffs_city_confirmed_idx ON handoffs (city_id, confirmed_at);
CREATE INDEX handoffs_district_confirmed_idx ON handoffs (district_id, confirmed_at);
CREATE INDEX handoffs_community_confirmed_idx ON handoffs (community_id, confirmed_at);
