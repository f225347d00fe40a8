DROP INDEX travellers_in_transit_idx;
CREATE INDEX travellers_in_transit_idx ON travellers (status, batch_id);
DROP INDEX travellers_batch_idx;
CREATE INDEX travellers_batch_idx ON travellers (batch_id);

DROP TRIGGER batches_id_kept ON batches;
DROP TRIGGER batches_kept ON batches;
DROP TRIGGER users_id_kept ON users;
DROP TRIGGER users_kept ON users;
DROP TRIGGER ports_id_kept ON ports;
DROP TRIGGER ports_kept ON ports;
DROP TRIGGER units_id_kept ON units;
DROP TRIGGER units_kept ON units;
DROP FUNCTION kept_for_the_record();

DROP TRIGGER events_added_refer_to_rows ON events;
DROP FUNCTION events_added_check_references();
DROP TRIGGER traveller_changed_refers_to_rows ON travellers;
DROP FUNCTION traveller_changed_check_references();
DROP TRIGGER travellers_added_refer_to_rows ON travellers;
DROP FUNCTION travellers_added_check_references();
DROP FUNCTION refuse_missing_reference(text);
DROP VIEW referable;

ALTER TABLE events ADD CONSTRAINT events_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES users (id);
ALTER TABLE travellers
    ADD CONSTRAINT travellers_port_id_fkey FOREIGN KEY (port_id) REFERENCES ports (id),
    ADD CONSTRAINT travellers_destination_city_id_fkey FOREIGN KEY (destination_city_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_destination_district_id_fkey FOREIGN KEY (destination_district_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_destination_community_id_fkey FOREIGN KEY (destination_community_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_custodian_unit_id_fkey FOREIGN KEY (custodian_unit_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_origin_district_id_fkey FOREIGN KEY (origin_district_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_origin_community_id_fkey FOREIGN KEY (origin_community_id) REFERENCES units (id),
    ADD CONSTRAINT travellers_batch_id_fkey FOREIGN KEY (batch_id) REFERENCES batches (id),
    ADD CONSTRAINT travellers_exception_by_fkey FOREIGN KEY (exception_by) REFERENCES users (id),
    ADD CONSTRAINT travellers_registered_by_fkey FOREIGN KEY (registered_by) REFERENCES users (id);
