DELETE FROM stat_daily WHERE metric LIKE 'hour:%';
