//! Reading the statistics: a few indexed rows per request, whatever the size of the history.

use std::collections::HashMap;

use diesel::prelude::*;

use super::GLOBAL;
use crate::auth::Scope;
use crate::db::types::{BatchId, Timestamp, UnitId};
use crate::db::DbConnection;
use crate::schema::{batches, handoffs, stat_daily, stat_totals, travellers, units};

/// The current numbers of these units; those of `GLOBAL` are the sum of every city's.
pub fn totals(conn: &mut DbConnection, units: &[UnitId]) -> QueryResult<HashMap<(UnitId, String), i64>> {
    let mut numbers: HashMap<(UnitId, String), i64> = stat_totals::table
        .filter(stat_totals::unit_id.eq_any(units.to_vec()))
        .select((stat_totals::unit_id, stat_totals::metric, stat_totals::value))
        .load::<(UnitId, String, i64)>(conn)?
        .into_iter()
        .map(|(u, m, v)| ((u, m), v))
        .collect();
    if units.contains(&GLOBAL) {
        let sums: Vec<Summed> = diesel::sql_query(
            "SELECT t.metric AS metric, CAST(SUM(t.value) AS BIGINT) AS value \
             FROM stat_totals t JOIN units u ON u.id = t.unit_id \
             WHERE u.level = 'city' GROUP BY t.metric",
        )
        .load(conn)?;
        numbers.extend(sums.into_iter().map(|s| ((GLOBAL, s.metric), s.value)));
    }
    Ok(numbers)
}

#[derive(QueryableByName)]
struct Summed {
    #[diesel(sql_type = diesel::sql_types::Text)]
    metric: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

#[derive(QueryableByName)]
struct SummedDay {
    #[diesel(sql_type = diesel::sql_types::Text)]
    day: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    metric: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    value: i64,
}

/// Pending handoffs past their due time in the scope, per district and community, and in all under
/// the scope's own unit; and the moment the next pending handoff falls due, when these numbers
/// change with time alone. Only pending handoffs are read, through the (status, due_at) index:
/// never the history.
pub fn overdue(
    conn: &mut DbConnection,
    scope: Scope,
    now: Timestamp,
) -> QueryResult<(HashMap<UnitId, i64>, Option<Timestamp>)> {
    let query = crate::store::handoffs::scoped(scope).filter(handoffs::status.eq("pending"));
    let rows: Vec<(UnitId, Option<UnitId>, Timestamp)> = query
        .select((handoffs::district_id, handoffs::community_id, handoffs::due_at))
        .load(conn)?;
    let mut map = HashMap::new();
    let mut next_due: Option<Timestamp> = None;
    let whole = matches!(scope, Scope::All | Scope::City(_)).then(|| scope.unit());
    for (district, community, due_at) in rows {
        if due_at >= now {
            next_due = Some(next_due.map_or(due_at, |n| n.min(due_at)));
            continue;
        }
        *map.entry(district).or_default() += 1;
        if let Some(c) = community {
            *map.entry(c).or_default() += 1;
        }
        if let Some(unit) = whole {
            *map.entry(unit).or_default() += 1;
        }
    }
    Ok((map, next_due))
}

/// Flows per day in `[from, to]` (local days, inclusive), for the metrics starting with `prefix`.
pub fn daily(
    conn: &mut DbConnection,
    unit: UnitId,
    from: &str,
    to: &str,
    prefix: &str,
) -> QueryResult<Vec<(String, String, i64)>> {
    if unit == GLOBAL {
        use diesel::sql_types::Text;
        let rows: Vec<SummedDay> = diesel::sql_query(
            "SELECT d.day AS day, d.metric AS metric, CAST(SUM(d.value) AS BIGINT) AS value \
             FROM stat_daily d JOIN units u ON u.id = d.unit_id \
             WHERE u.level = 'city' AND d.day >= $1 AND d.day <= $2 AND d.metric LIKE $3 \
             GROUP BY d.day, d.metric ORDER BY d.day, d.metric",
        )
        .bind::<Text, _>(from)
        .bind::<Text, _>(to)
        .bind::<Text, _>(format!("{prefix}%"))
        .load(conn)?;
        return Ok(rows.into_iter().map(|r| (r.day, r.metric, r.value)).collect());
    }
    let mut query = stat_daily::table
        .filter(stat_daily::unit_id.eq(unit))
        .filter(stat_daily::day.ge(from.to_owned()))
        .filter(stat_daily::day.le(to.to_owned()))
        .select((stat_daily::day, stat_daily::metric, stat_daily::value))
        .order((stat_daily::day.asc(), stat_daily::metric.asc()))
        .into_boxed();
    if !prefix.is_empty() {
        query = query.filter(stat_daily::metric.like(format!("{prefix}%")));
    }
    query.load(conn)
}

/// The units a districts table lists for a scope.
pub fn district_rows(
    conn: &mut DbConnection,
    scope: Scope,
) -> QueryResult<Vec<(UnitId, String, Option<String>)>> {
    let query = units::table
        .select((units::id, units::name, units::name_en))
        .order(units::code.asc());
    match scope {
        Scope::All => query.filter(units::level.eq("district")).load(conn),
        Scope::City(city) => query
            .filter(units::level.eq("district"))
            .filter(units::city_id.eq(city))
            .load(conn),
        Scope::District(id) | Scope::Community(id) => query.filter(units::id.eq(id)).load(conn),
    }
}

/// People on the road now, per batch: only travellers in transit are read.
pub fn on_the_road(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<(BatchId, String, i64)>> {
    let on_board: Vec<Option<BatchId>> = crate::store::travellers::scoped(scope)
        .filter(crate::store::travellers::in_transit())
        .select(travellers::batch_id)
        .load(conn)?;
    let mut per_batch: HashMap<Option<BatchId>, i64> = HashMap::new();
    for b in on_board {
        *per_batch.entry(b).or_default() += 1;
    }
    let counts: Vec<(Option<BatchId>, i64)> = per_batch.into_iter().collect();
    let ids: Vec<BatchId> = counts.iter().filter_map(|(b, _)| *b).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let codes: HashMap<BatchId, String> = batches::table
        .filter(batches::id.eq_any(ids))
        .select((batches::id, batches::code))
        .load::<(BatchId, String)>(conn)?
        .into_iter()
        .collect();
    let mut rows: Vec<(BatchId, String, i64)> = counts
        .into_iter()
        .filter_map(|(b, n)| b.map(|b| (b, codes.get(&b).cloned().unwrap_or_default(), n)))
        .collect();
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(rows)
}

/// Minutes from offer to confirmation of the handoffs confirmed since `since`, sorted, and the
/// earliest of those confirmations (the window's content changes with time alone when that one
/// leaves it).
pub fn handoff_minutes(
    conn: &mut DbConnection,
    scope: Scope,
    since: Timestamp,
) -> QueryResult<(Vec<f64>, Option<Timestamp>)> {
    let rows: Vec<(Timestamp, Option<Timestamp>)> = crate::store::handoffs::scoped(scope)
        .filter(handoffs::confirmed_at.ge(since))
        .select((handoffs::created_at, handoffs::confirmed_at))
        .load(conn)?;
    let earliest = rows.iter().filter_map(|(_, c)| *c).min();
    let mut minutes: Vec<f64> = rows
        .into_iter()
        .filter_map(|(created, confirmed)| {
            confirmed.map(|c| (c - created).num_milliseconds() as f64 / 60_000.0)
        })
        .collect();
    minutes.sort_by(|a, b| a.total_cmp(b));
    Ok((minutes, earliest))
}

/// The value at a percentile of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// Travellers of a scope awaiting transfer at a port since before `before` (a `waiting` loose
/// end), and the first moment another will be: the arrival after `before` that is the earliest,
/// plus `alert`.
pub fn waiting(
    conn: &mut DbConnection,
    scope: Scope,
    before: Timestamp,
    alert: chrono::Duration,
) -> QueryResult<(i64, Option<Timestamp>)> {
    if !matches!(scope, Scope::All | Scope::City(_)) {
        return Ok((0, None));
    }
    let awaiting = || {
        crate::store::travellers::scoped(scope)
            .filter(travellers::status.eq(crate::domain::traveller::TravellerStatus::AwaitingTransfer))
    };
    let count: i64 = awaiting()
        .filter(travellers::arrived_at.lt(before))
        .count()
        .get_result(conn)?;
    let next: Option<Timestamp> = awaiting()
        .filter(travellers::arrived_at.ge(before))
        .select(travellers::arrived_at)
        .order(travellers::arrived_at.asc())
        .first(conn)
        .optional()?;
    Ok((count, next.map(|at| at + alert)))
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&s, 50.0), Some(5.0));
        assert_eq!(percentile(&s, 90.0), Some(9.0));
        assert_eq!(percentile(&[4.0], 90.0), Some(4.0));
        assert_eq!(percentile(&[], 50.0), None);
    }
}
