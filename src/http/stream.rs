//! `GET /events/stream`: the event log as server-sent events, scoped like `/events`, resuming after
//! `Last-Event-ID`. It follows this instance's reader of the log (`feed`), which reads every new
//! event once, whichever instance wrote it; a stream further behind reads the database first.

use actix_web::get;
use std::time::{Duration, Instant};
use utoipa_actix_web::service_config::ServiceConfig;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::caller::{current_actor, Bearer};
use super::docs::{BadRequest, Forbidden, TooManyRequests, Unauthorized, Unavailable};
use crate::auth::tokens::Claims;
use crate::auth::{Permission, Scope};
use crate::domain::message::msg;
use crate::error::{ApiError, ApiResult};
use crate::feed::{Slot, Taken};
use crate::state::AppState;
use crate::store::events::{self, EventFilter};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(stream);
}

/// The longest an idle stream waits before it looks at its checks again.
const WAIT_AT_MOST: Duration = Duration::from_secs(1);
/// A comment line now and then keeps proxies from closing an idle stream.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);
/// Events read per page: a stream replaying a long history reads it a page at a time, sending
/// each page before reading the next.
const BATCH: i64 = 100;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// Sequence number to continue after; `Last-Event-ID` takes precedence.
    after: Option<i64>,
}

/// The `Last-Event-ID` header of a client that reconnects.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct LastEventId {
    /// The last sequence number received.
    #[param(rename = "Last-Event-ID", nullable = false, minimum = 0)]
    last_event_id: Option<i64>,
}

/// One server-sent event, as the document describes each event of the stream.
#[derive(utoipa::ToSchema)]
pub struct StreamEvent {
    /// The event's `seq`, for `Last-Event-ID`.
    id: String,
    /// The event's `action`, e.g. `traveller.registered`.
    event: String,
    /// The event as JSON: an item of `GET /events`.
    data: String,
}

impl StreamEvent {
    fn of(event: &events::Event) -> Self {
        StreamEvent {
            id: event.seq.to_string(),
            event: event.action.clone(),
            data: serde_json::to_string(event).unwrap_or_default(),
        }
    }

    /// The text of the event on the wire.
    fn frame(&self) -> Bytes {
        Bytes::from(format!(
            "id: {}\nevent: {}\ndata: {}\n\n",
            self.id, self.event, self.data
        ))
    }
}

/// How often a long-lived stream checks that its caller may still read: a deactivated user, a
/// logout or an expired token ends the stream within this delay.
const RECHECK_EVERY: Duration = Duration::from_secs(5);

struct Cursor {
    _slot: Slot,
    /// The stream ends by this time; the client reconnects with `Last-Event-ID`, perhaps to
    /// another instance, so long-lived streams spread over the instances as they come and go.
    ends_at: Instant,
    state: web::Data<AppState>,
    claims: Claims,
    checked: Instant,
    scope: Scope,
    after: i64,
    pending: std::collections::VecDeque<Bytes>,
    last_sent: Instant,
    first: bool,
    /// Moves when this instance's reader of the log has kept new events.
    heads: tokio::sync::watch::Receiver<i64>,
    /// True once the instance is stopping.
    stopping: tokio::sync::watch::Receiver<bool>,
}

impl Cursor {
    /// Queues the next events after `after` in the stream's scope, from memory, or from the
    /// database while memory does not reach back far enough; false when there are none yet.
    async fn fill(&mut self) -> bool {
        self.heads.borrow_and_update();
        let from = match self.state.feed.take(self.scope, self.after, BATCH as usize) {
            Taken::Events { events, head } => {
                self.queue(&events);
                self.after = self.after.max(head);
                return !events.is_empty();
            }
            Taken::Behind { from } => from,
        };
        let filter = EventFilter {
            entity_type: None,
            entity_id: None,
            after: self.after,
            limit: BATCH,
            newest: false,
        };
        let scope = self.scope;
        match self
            .state
            .db(move |conn| Ok(events::list(conn, scope, &filter)?))
            .await
        {
            Ok(page) => {
                self.queue(&page);
                if (page.len() as i64) < BATCH {
                    // Every event of the scope the database held is sent: memory goes on.
                    self.after = self.after.max(from.unwrap_or(self.after));
                }
                !page.is_empty()
            }
            // The database is away: keep the stream, try again in a while.
            Err(_) => false,
        }
    }

    fn queue<E: std::borrow::Borrow<events::Event>>(&mut self, events: &[E]) {
        for event in events {
            let event = event.borrow();
            self.after = event.seq;
            self.pending.push_back(StreamEvent::of(event).frame());
        }
    }
}

/// The event log as server-sent events, scoped like `/events`
///
/// Each event is `id: <seq>`, `event: <action>`, `data: <the event as JSON>`. Resumes after the
/// `Last-Event-ID` header (or `after`); without either, a subscriber starts from now. Open
/// streams are bounded per user and in all (`stream.max_per_user`, `stream.max_total`): beyond
/// them 429. A stream ends after `stream.max_seconds`; the client reconnects (`retry:`) with
/// `Last-Event-ID` and misses nothing.
#[utoipa::path(
    tag = "events",
    params(StreamQuery, LastEventId),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A stream of server-sent events", content_type = "text/event-stream", body = StreamEvent),
        (status = 400, response = BadRequest),
        (status = 401, response = Unauthorized),
        (status = 403, response = Forbidden),
        (status = 429, response = TooManyRequests),
        (status = 503, response = Unavailable),
    )
)]
#[get("/events/stream")]
pub(crate) async fn stream(
    state: web::Data<AppState>,
    bearer: Bearer,
    req: HttpRequest,
    query: web::Query<StreamQuery>,
) -> ApiResult<HttpResponse> {
    let Bearer(claims) = bearer;
    let actor = current_actor(&state, &claims).await?;
    actor.require(Permission::ReadEvents)?;
    let resume = req
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    let after = match resume {
        Some(id) => id
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| ApiError::bad_request(msg!("last_event_id")))?,
        None => match query.after {
            Some(after) => after,
            // A new subscriber starts from now.
            None => match state.feed.head() {
                Some(head) => head,
                None => state.db(|conn| Ok(events::latest_seq(conn)?)).await?,
            },
        },
    };
    let limits = &state.settings.stream;
    let slot = state
        .streams
        .take(actor.id, limits.max_per_user, limits.max_total)
        .ok_or_else(|| ApiError::rate_limited(5))?;
    let lifetime = Duration::from_secs(state.settings.stream.max_seconds.max(1));
    let cursor = Cursor {
        _slot: slot,
        ends_at: Instant::now() + lifetime,
        claims,
        checked: Instant::now(),
        scope: actor.scope,
        after: after.max(0),
        pending: Default::default(),
        last_sent: Instant::now(),
        first: true,
        heads: state.feed.subscribe(),
        stopping: state.stopping(),
        state,
    };
    let body = futures_util::stream::unfold(cursor, |mut c| async move {
        loop {
            if c.first {
                c.first = false;
                // Tell the client how long to wait before reconnecting.
                return Some((
                    Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 2000\n\n")),
                    c,
                ));
            }
            // Ends at its time, or when the instance stops, once what it holds is sent: the client
            // resumes with Last-Event-ID (at another instance) and misses nothing.
            if (Instant::now() >= c.ends_at || *c.stopping.borrow()) && c.pending.is_empty() {
                return None;
            }
            if c.checked.elapsed() >= RECHECK_EVERY {
                c.checked = Instant::now();
                let expired = c.claims.exp <= chrono::Utc::now().timestamp();
                let still = current_actor(&c.state, &c.claims).await;
                if expired
                    || matches!(&still, Err(e) if e.status == actix_web::http::StatusCode::UNAUTHORIZED)
                {
                    return None;
                }
            }
            if let Some(chunk) = c.pending.pop_front() {
                c.last_sent = Instant::now();
                return Some((Ok(chunk), c));
            }
            if c.fill().await {
                continue;
            }
            if c.last_sent.elapsed() >= KEEP_ALIVE_EVERY {
                c.last_sent = Instant::now();
                return Some((Ok(Bytes::from_static(b": keep-alive\n\n")), c));
            }
            // Woken when the reader keeps new events or the instance stops; now and then anyway,
            // for the checks above.
            let _ = tokio::time::timeout(WAIT_AT_MOST, async {
                tokio::select! {
                    _ = c.heads.changed() => {}
                    _ = c.stopping.changed() => {}
                }
            })
            .await;
        }
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        // Each event goes out as it happens, never held back by a compressor.
        .insert_header((header::CONTENT_ENCODING, "identity"))
        .streaming(body))
}
