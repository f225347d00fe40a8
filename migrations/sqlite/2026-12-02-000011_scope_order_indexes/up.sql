-- Travellers of a scope in id order (pages of lists and rosters) read from an index in that order
-- instead of sorting the whole scope for every page.
CREATE INDEX travellers_city_order_idx ON travellers (destination_city_id, id);
CREATE INDEX travellers_district_order_idx ON travellers (destination_district_id, id);
CREATE INDEX travellers_community_order_idx ON travellers (destination_community_id, id);
