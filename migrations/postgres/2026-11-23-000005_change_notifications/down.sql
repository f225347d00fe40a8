DROP TRIGGER handoffs_notify ON handoffs;
DROP FUNCTION notify_handoff_changed();
DROP TRIGGER users_notify ON users;
DROP FUNCTION notify_user_changed();
DROP TRIGGER stat_totals_notify ON stat_totals;
DROP FUNCTION notify_unit_changed();
