DROP INDEX events_unchained_idx;
