//! The dashboards' answers, as the document describes them.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::db::types::{BatchId, PortId, Timestamp, UnitId};

/// Travellers in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewTravellers {
    pub total: i64,
    /// One count per traveller status.
    pub by_status: BTreeMap<String, i64>,
}

/// Batches in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewBatches {
    pub total: i64,
    /// One count per batch status.
    pub by_status: BTreeMap<String, i64>,
}

/// Handoffs in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewHandoffs {
    pub pending: i64,
    /// Pending past their `due_at`.
    pub overdue: i64,
    pub confirmed: i64,
    pub rejected: i64,
    pub cancelled: i64,
}

/// The loop: open, closed by receipt, closed by an exception, and people reported missing.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewLoop {
    pub open: i64,
    pub closed: i64,
    pub exceptions: i64,
    pub missing: i64,
}

/// The loose ends of the scope, as `/loose-ends` lists them: the number of each kind.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewLooseEnds {
    pub missing: i64,
    pub rejected: i64,
    pub locked: i64,
    pub overdue: i64,
    pub waiting: i64,
}

/// Vehicles in the scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OverviewVehicles {
    /// One count per vehicle status.
    pub by_status: BTreeMap<String, i64>,
}

/// A batch on the road.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RoadBatch {
    pub batch_id: BatchId,
    pub code: String,
    pub travellers: i64,
}

/// Travellers and batches between the port and the city right now.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OnTheRoad {
    pub travellers: i64,
    pub batches: Vec<RoadBatch>,
}

/// Minutes from a handoff's creation to its confirmation, over the last 24 hours.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HandoffMinutes {
    pub count: i64,
    /// Null without confirmations.
    pub p50: Option<f64>,
    /// Null without confirmations.
    pub p90: Option<f64>,
}

/// The dashboard's overview of the caller's subtree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub as_of: Timestamp,
    pub travellers: OverviewTravellers,
    pub batches: OverviewBatches,
    pub handoffs: OverviewHandoffs,
    #[serde(rename = "loop")]
    pub loop_: OverviewLoop,
    pub loose_ends: OverviewLooseEnds,
    pub vehicles: OverviewVehicles,
    pub on_the_road: OnTheRoad,
    pub handoff_minutes_24h: HandoffMinutes,
}

/// Flows through one port of entry.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortRow {
    pub port_id: PortId,
    pub code: String,
    pub name: String,
    pub batches: i64,
    pub travellers: i64,
}

/// Flows through each port of entry in a period.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PortStats {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    pub items: Vec<PortRow>,
}

/// One district's numbers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistrictRow {
    pub unit_id: UnitId,
    pub name: String,
    /// The district's name in English, where it is set.
    pub name_en: Option<String>,
    /// Travellers bound for the district.
    pub expected: i64,
    /// Received by their community.
    pub received: i64,
    /// In the district's custody (for a community's caller: received in it).
    pub in_custody: i64,
    pub missing: i64,
    pub pending_handoffs: i64,
    pub overdue_handoffs: i64,
}

/// The districts of the caller's subtree.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistrictStats {
    pub items: Vec<DistrictRow>,
}

/// One local day's flows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DailyRow {
    #[schema(value_type = String, format = Date)]
    pub date: String,
    pub registered: i64,
    pub departed_batches: i64,
    pub received: i64,
    pub exceptions: i64,
}

/// Flows per local day in a period (at most ten years).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DailyStats {
    #[schema(value_type = String, format = Date)]
    pub from: String,
    #[schema(value_type = String, format = Date)]
    pub to: String,
    /// One row per day, oldest first.
    pub items: Vec<DailyRow>,
}

/// One local hour's flows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HourlyRow {
    /// The hour of the day, 0 to 23, local time (`stats.utc_offset_minutes`).
    pub hour: u32,
    pub registered: i64,
    pub departed_batches: i64,
    pub received: i64,
    pub exceptions: i64,
}

/// Flows per local hour of one day: what a wall shows of today.
#[derive(Serialize, utoipa::ToSchema)]
pub struct HourlyStats {
    #[schema(value_type = String, format = Date)]
    pub date: String,
    /// The offset of the local time the days and hours are counted in, east of UTC
    /// (`stats.utc_offset_minutes`): where the service's day and hour now are, wherever the
    /// reader is.
    pub utc_offset_minutes: i32,
    /// Every hour of the day, 0 to 23.
    pub items: Vec<HourlyRow>,
}
