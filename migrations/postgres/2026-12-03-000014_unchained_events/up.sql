-- The events not yet chained (written before the log was chained): none, once start-up has chained
-- them. Start-up asks whether any is left; without this index that question read the whole log,
-- at every start of every instance. A new event is always chained, so appends never write here.
CREATE INDEX events_unchained_idx ON events (seq) WHERE hash = '';
