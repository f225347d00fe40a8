//! The dashboards' numbers of a scope, built from the statistics a write keeps (`stats::read`)
//! and the version read with them.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};

use super::conditional::Version;
use super::views::*;
use crate::auth::Scope;
use crate::db::types::{Timestamp, UnitId};
use crate::db::DbConnection;
use crate::domain::batch::BatchStatus;
use crate::domain::handoff::HandoffStatus;
use crate::domain::loose_end::LooseEndKind;
use crate::domain::traveller::TravellerStatus;
use crate::domain::vehicle::VehicleStatus;
use crate::error::{ApiError, ApiResult};
use crate::stats::read;
use crate::store::ports;

fn by_status(
    totals: &HashMap<(UnitId, String), i64>,
    unit: UnitId,
    prefix: &str,
    words: &[&str],
) -> BTreeMap<String, i64> {
    words
        .iter()
        .map(|w| {
            (
                w.to_string(),
                totals.get(&(unit, format!("{prefix}:{w}"))).copied().unwrap_or(0),
            )
        })
        .collect()
}

fn words<T: Copy>(all: &[T], word: impl Fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| word(*v)).collect()
}

/// The overview of a scope at `now`.
pub fn overview(
    conn: &mut DbConnection,
    scope: Scope,
    now: Timestamp,
    version: &Version,
) -> ApiResult<Overview> {
    let unit = scope.unit();
    let totals = &version.totals;
    let get = |metric: &str| totals.get(&(unit, metric.to_owned())).copied().unwrap_or(0);
    let travellers = by_status(
        totals,
        unit,
        "travellers",
        &words(TravellerStatus::ALL, |s| s.as_str()),
    );
    let batches = by_status(totals, unit, "batches", &words(BatchStatus::ALL, |s| s.as_str()));
    let vehicles = by_status(
        totals,
        unit,
        "vehicles",
        &words(VehicleStatus::ALL, |s| s.as_str()),
    );
    let handoffs = by_status(
        totals,
        unit,
        "handoffs",
        &words(HandoffStatus::ALL, |s| s.as_str()),
    );
    let overdue = version.overdue.get(&unit).copied().unwrap_or(0);
    let total = get("travellers");
    let received = travellers["received"];
    let exceptions = travellers["exception"];
    let road = read::on_the_road(conn, scope)?;
    let minutes = &version.minutes;
    let numbers = Overview {
        as_of: now,
        travellers: OverviewTravellers {
            total,
            by_status: travellers,
        },
        batches: OverviewBatches {
            total: get("batches"),
            by_status: batches,
        },
        handoffs: OverviewHandoffs {
            pending: handoffs["pending"],
            overdue,
            confirmed: handoffs["confirmed"],
            rejected: handoffs["rejected"],
            cancelled: handoffs["cancelled"],
        },
        loop_: OverviewLoop {
            open: total - received - exceptions,
            closed: received,
            exceptions,
            missing: get("missing"),
        },
        loose_ends: {
            let ends = crate::store::loose_ends::of_scope(conn, scope, now, version.waiting_before)?;
            let count = |kind: LooseEndKind| ends.iter().filter(|e| e.kind == kind).count() as i64;
            OverviewLooseEnds {
                missing: count(LooseEndKind::Missing),
                rejected: count(LooseEndKind::Rejected),
                locked: count(LooseEndKind::Locked),
                overdue: count(LooseEndKind::Overdue),
                waiting: count(LooseEndKind::Waiting),
            }
        },
        vehicles: OverviewVehicles { by_status: vehicles },
        on_the_road: OnTheRoad {
            travellers: road.iter().map(|(_, _, n)| n).sum::<i64>(),
            batches: road
                .into_iter()
                .map(|(batch_id, code, travellers)| RoadBatch {
                    batch_id,
                    code,
                    travellers,
                })
                .collect(),
        },
        handoff_minutes_24h: HandoffMinutes {
            count: minutes.len() as i64,
            p50: read::percentile(minutes, 50.0),
            p90: read::percentile(minutes, 90.0),
        },
    };
    Ok(numbers)
}

/// Flows through each port in a period, or of all time (`all_time`, from the totals).
pub fn ports(
    conn: &mut DbConnection,
    scope: Scope,
    version: &Version,
    (from, to, all_time): (String, String, bool),
) -> ApiResult<PortStats> {
    // Without a period, the all-time totals: one row per port, however long the history.
    let rows: Vec<(String, i64)> = if all_time {
        version
            .totals
            .iter()
            .filter(|((_, m), _)| m.starts_with("port:"))
            .map(|((_, m), v)| (m.clone(), *v))
            .collect()
    } else {
        read::daily(conn, scope.unit(), &from, &to, "port:")?
            .into_iter()
            .map(|(_, m, v)| (m, v))
            .collect()
    };
    let mut sums: HashMap<(String, String), i64> = HashMap::new();
    for (metric, value) in rows {
        let mut parts = metric.splitn(3, ':').skip(1);
        if let (Some(port), Some(kind)) = (parts.next(), parts.next()) {
            *sums.entry((port.to_owned(), kind.to_owned())).or_default() += value;
        }
    }
    let items: Vec<PortRow> = ports::list(conn, None, 10_000)?
        .into_iter()
        .map(|p| {
            let key = p.id.to_string();
            PortRow {
                port_id: p.id,
                batches: sums.get(&(key.clone(), "batches".into())).copied().unwrap_or(0),
                travellers: sums.get(&(key, "travellers".into())).copied().unwrap_or(0),
                code: p.code,
                name: p.name,
            }
        })
        .collect();
    Ok(PortStats { from, to, items })
}

/// One row per district of the scope.
pub fn districts(conn: &mut DbConnection, scope: Scope, version: &Version) -> ApiResult<DistrictStats> {
    let rows = read::district_rows(conn, scope)?;
    let ids: Vec<UnitId> = rows.iter().map(|(id, _, _)| *id).collect();
    let totals = read::totals(conn, &ids)?;
    let community = matches!(scope, Scope::Community(_));
    let items: Vec<DistrictRow> = rows
        .into_iter()
        .map(|(id, name, name_en)| {
            let get = |m: &str| totals.get(&(id, m.to_owned())).copied().unwrap_or(0);
            DistrictRow {
                unit_id: id,
                name,
                name_en,
                expected: get("travellers"),
                received: get("travellers:received"),
                in_custody: if community {
                    get("travellers:received")
                } else {
                    get("travellers:at_district")
                },
                missing: get("missing"),
                pending_handoffs: get("handoffs:pending"),
                overdue_handoffs: version.overdue.get(&id).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok(DistrictStats { items })
}

const DAILY_METRICS: [&str; 4] = ["registered", "departed_batches", "received", "exceptions"];

/// Flows per local day from `from` to `to`, inclusive, every day listed.
pub fn daily(conn: &mut DbConnection, scope: Scope, from: String, to: String) -> ApiResult<DailyStats> {
    let mut days: BTreeMap<String, BTreeMap<&str, i64>> = BTreeMap::new();
    let mut day = NaiveDate::parse_from_str(&from, "%Y-%m-%d").map_err(ApiError::internal)?;
    let last = NaiveDate::parse_from_str(&to, "%Y-%m-%d").map_err(ApiError::internal)?;
    while day <= last {
        days.insert(
            day.format("%Y-%m-%d").to_string(),
            DAILY_METRICS.iter().map(|m| (*m, 0)).collect(),
        );
        day += Duration::days(1);
    }
    // One read of the period's rows; the per-port flows among them are skipped.
    for (day, name, value) in read::daily(conn, scope.unit(), &from, &to, "")? {
        if let (Some(metric), Some(row)) = (DAILY_METRICS.iter().find(|m| **m == name), days.get_mut(&day)) {
            row.insert(metric, value);
        }
    }
    let items: Vec<DailyRow> = days
        .into_iter()
        .map(|(date, m)| DailyRow {
            date,
            registered: m["registered"],
            departed_batches: m["departed_batches"],
            received: m["received"],
            exceptions: m["exceptions"],
        })
        .collect();
    Ok(DailyStats { from, to, items })
}

/// Flows per local hour of one day, every hour listed.
pub fn hourly(conn: &mut DbConnection, scope: Scope, date: String) -> ApiResult<HourlyStats> {
    let mut hours: Vec<BTreeMap<&str, i64>> = (0..24)
        .map(|_| DAILY_METRICS.iter().map(|m| (*m, 0)).collect())
        .collect();
    for (_, name, value) in read::daily(conn, scope.unit(), &date, &date, "hour:")? {
        // `hour:HH:flow`
        let mut parts = name.splitn(3, ':').skip(1);
        let (Some(hour), Some(flow)) = (parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(hour), Some(metric)) = (hour.parse::<usize>(), DAILY_METRICS.iter().find(|m| **m == flow))
        else {
            continue;
        };
        if let Some(row) = hours.get_mut(hour) {
            row.insert(metric, value);
        }
    }
    let items = hours
        .into_iter()
        .zip(0u32..)
        .map(|(m, hour)| HourlyRow {
            hour,
            registered: m["registered"],
            departed_batches: m["departed_batches"],
            received: m["received"],
            exceptions: m["exceptions"],
        })
        .collect();
    Ok(HourlyStats {
        date,
        utc_offset_minutes: crate::store::counts::local_offset().local_minus_utc() / 60,
        items,
    })
}
