//! The service's Prometheus registry: the request middleware's counters and histograms, and the
//! gauges of the loop that `http::metrics` refreshes and serves.

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

/// The registry shared by the request middleware and the gauges below.
#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub pool_connections: IntGaugeVec,
    pub pool_max: IntGauge,
    pub database_up: IntGauge,
    pub travellers: IntGaugeVec,
    pub batches: IntGaugeVec,
    pub vehicles: IntGaugeVec,
    pub handoffs: IntGaugeVec,
    pub missing: IntGauge,
    /// Dashboard polls answered from memory, without the database: 304s and 200s.
    pub not_modified_from_memory: IntCounter,
    pub ok_from_memory: IntCounter,
}

fn gauge_vec(registry: &Registry, name: &str, help: &str, label: &str) -> IntGaugeVec {
    let gauge = IntGaugeVec::new(Opts::new(name, help).namespace("inbound"), &[label]).expect("valid gauge");
    registry
        .register(Box::new(gauge.clone()))
        .expect("registered once");
    gauge
}

fn gauge(registry: &Registry, name: &str, help: &str) -> IntGauge {
    let gauge = IntGauge::with_opts(Opts::new(name, help).namespace("inbound")).expect("valid gauge");
    registry
        .register(Box::new(gauge.clone()))
        .expect("registered once");
    gauge
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let from_memory = IntCounterVec::new(
            Opts::new(
                "stats_answered_from_memory_total",
                "Dashboard polls answered from memory, without the database, by status",
            )
            .namespace("inbound"),
            &["status"],
        )
        .expect("valid counter");
        registry
            .register(Box::new(from_memory.clone()))
            .expect("registered once");
        Metrics {
            not_modified_from_memory: from_memory.with_label_values(&["304"]),
            ok_from_memory: from_memory.with_label_values(&["200"]),
            pool_connections: gauge_vec(
                &registry,
                "db_pool_connections",
                "Database connections by state",
                "state",
            ),
            pool_max: gauge(
                &registry,
                "db_pool_max_connections",
                "Largest size of the database pool",
            ),
            database_up: gauge(
                &registry,
                "database_up",
                "1 when the database answered the last refresh of these gauges",
            ),
            travellers: gauge_vec(&registry, "travellers", "Travellers by status", "status"),
            batches: gauge_vec(&registry, "batches", "Batches by status", "status"),
            vehicles: gauge_vec(&registry, "vehicles", "Vehicles by status", "status"),
            handoffs: gauge_vec(
                &registry,
                "handoffs",
                "Handoffs by status; overdue are pending past due",
                "status",
            ),
            missing: gauge(
                &registry,
                "travellers_missing",
                "Travellers reported missing at a handoff",
            ),
            registry,
        }
    }

    /// The request middleware, recording into the same registry.
    pub fn middleware(&self) -> actix_web_prom::PrometheusMetrics {
        actix_web_prom::PrometheusMetricsBuilder::new("inbound")
            .registry(self.registry.clone())
            .exclude("/metrics")
            .mask_unmatched_patterns("UNKNOWN")
            .buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ])
            .build()
            .expect("valid metrics configuration")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
