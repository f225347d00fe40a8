//! The handoff desk at a door with no signal, in a real browser: the console installs itself (a
//! service worker and a web app manifest), opens again with the cable pulled, shows the desk as
//! last known, keeps what the officer does on the phone and sends it, in order, once the service
//! can be reached again, with the time at the door. A refused action stays until dismissed; a
//! sign-out with actions unsent asks first, and leaves nothing personal on the device.

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{Browser, Screen};
use crate::helpers::*;
use crate::relay::{Relay, ANSWERS_LOST, DOWN, UP};
use crate::world::World;

async fn queue_count(phone: &Browser) -> i64 {
    phone
        .run("const b = document.querySelector('#queue-count'); return b && !b.hidden ? Number(b.dataset.count) : 0;")
        .await
        .as_i64()
        .unwrap()
}

async fn handoff(w: &World, id: &str) -> Value {
    w.app
        .get(&format!("/api/v1/handoffs/{id}"), &w.dispatcher)
        .await
        .expect(200)
        .body
}

#[actix_web::test]
async fn the_desk_works_without_a_network_and_sends_what_was_done_when_it_returns() {
    let w = World::new().await;
    w.new_vehicle("苏D·OF001", 20).await;
    let (_, first, code) = w.one_arrival("PVG", "CZ-TN-HM", "OF001", "苏D·OF001").await;
    w.new_vehicle("苏D·OF002", 20).await;
    let (_, second, _) = w.one_arrival("PVG", "CZ-TN-QL", "OF002", "苏D·OF002").await;
    let cable = Relay::to_service(&w.app.base);
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    phone.sign_in(&cable.base(), DISTRICT_OFFICER).await;
    phone.open(&format!("{}/console/#/desk", cable.base())).await;
    let card = |id: &str| format!("#incoming article[data-handoff='{id}']");
    phone.wait_for(&card(&first)).await;
    phone.wait_for(&card(&second)).await;
    // Installed: the service worker controls the page, with the manifest linked.
    phone.wait_for_service_worker().await;
    let manifest = phone
        .run("return document.querySelector('link[rel=manifest]').href;")
        .await;
    assert!(manifest
        .as_str()
        .unwrap()
        .ends_with("/console/manifest.webmanifest"));

    // The cable is pulled and the page reloaded: the console opens from the phone, the desk as
    // last known, said to be so.
    cable.set(DOWN);
    phone.run("location.reload(); return 1;").await;
    phone.wait_for("#desk-offline:not([hidden])").await;
    phone.wait_for(&card(&first)).await;
    assert!(phone.text("#desk-offline").await.contains("No network"));
    phone.screenshot("desk-offline-phone").await;

    // The officer confirms one handoff with the right code and the other with a wrong one.
    phone
        .type_into(&format!("{} input[name=code]", card(&first)), &code)
        .await;
    phone
        .click(&format!("{} form.confirm button[type=submit]", card(&first)))
        .await;
    phone.wait_for_text("#desk-message", "kept on this phone").await;
    phone
        .type_into(
            &format!("{} input[name=code]", card(&second)),
            World::wrong_code(&code),
        )
        .await;
    phone
        .click(&format!("{} form.confirm button[type=submit]", card(&second)))
        .await;
    phone
        .eventually(Duration::from_secs(10), "two actions waiting", || async {
            (queue_count(&phone).await == 2).then_some(())
        })
        .await;
    assert_eq!(
        phone
            .run("return document.querySelectorAll('#queue li[data-state=waiting]').length;")
            .await,
        json!(2)
    );
    phone.screenshot("desk-queue-phone").await;
    assert_eq!(
        handoff(&w, &first).await["status"],
        "pending",
        "nothing reached the service"
    );
    let at_door = chrono::Utc::now();
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The cable is back: both are sent, in order, with no touch; the first at the door's time.
    cable.set(UP);
    let done = phone
        .eventually(Duration::from_secs(45), "the confirmation is sent", || async {
            let h = handoff(&w, &first).await;
            (h["status"] == "confirmed").then_some(h)
        })
        .await;
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    assert!(time(&done["confirmed_at"]) <= at_door, "{done}");
    assert!(time(&done["recorded_at"]) > at_door, "{done}");

    // The wrong code is refused, and stays with what to do until the officer dismisses it.
    let refused = format!("#queue li[data-state=refused][data-handoff='{second}']");
    phone.wait_for(&refused).await;
    assert!(phone.text(&refused).await.contains("The code was wrong"));
    phone.wait_for("#desk-offline[hidden]").await;
    assert_eq!(queue_count(&phone).await, 1);
    phone.click(&format!("{refused} button[data-dismiss]")).await;
    phone
        .eventually(Duration::from_secs(5), "the refusal is dismissed", || async {
            (queue_count(&phone).await == 0).then_some(())
        })
        .await;
    assert_eq!(handoff(&w, &second).await["status"], "pending");

    // Signing out with an action unsent asks first, naming it; discarding leaves nothing
    // personal on the phone, and the cache only the console's own files.
    cable.set(DOWN);
    phone.run("location.reload(); return 1;").await;
    phone.wait_for("#desk-offline:not([hidden])").await;
    phone
        .type_into(&format!("{} input[name=code]", card(&second)), &code)
        .await;
    phone
        .click(&format!("{} form.confirm button[type=submit]", card(&second)))
        .await;
    phone.wait_for_text("#desk-message", "kept on this phone").await;
    phone.click("#signout").await;
    phone.wait_for("dialog#leave[open]").await;
    assert!(phone.text("dialog#leave").await.contains("Confirmation"));
    phone.click("#leave-discard").await;
    phone.wait_for("#signin").await;
    let kept = phone
        .run("return Object.keys(localStorage).filter(k => k.startsWith('inbound-transfer.desk') || k.startsWith('inbound-transfer.queue') || k === 'inbound-transfer.session');")
        .await;
    assert_eq!(kept, json!([]), "nothing of the desk is left");
    let databases = phone
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             indexedDB.databases().then((all) => done(all.map((d) => d.name)), (e) => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(databases, json!([]), "nothing is kept in IndexedDB");
    let cached = phone
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; \
             (async () => { const urls = []; for (const name of await caches.keys()) { \
               for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname); } \
               return urls; })().then(done, (e) => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    let cached = cached.as_array().expect("the cached addresses");
    assert!(!cached.is_empty());
    assert!(
        cached
            .iter()
            .all(|u| u.as_str().unwrap().starts_with("/console/")),
        "{cached:?}"
    );
    cable.set(UP);
    phone.close().await;
}

/// Installs the console on the phone through `cable`, opens the desk and waits for the service
/// worker to control it.
async fn installed_desk(phone: &Browser, cable: &Relay, who: (&str, &str)) {
    phone.sign_in(&cable.base(), who).await;
    phone.open(&format!("{}/console/#/desk", cable.base())).await;
    phone.wait_for("#incoming article[data-handoff]").await;
    phone.wait_for_service_worker().await;
}

/// With the cable pulled and the page reloaded, confirms the handoff with this code at the door.
async fn confirm_offline(phone: &Browser, cable: &Relay, handoff: &str, code: &str) {
    cable.set(DOWN);
    phone.run("location.reload(); return 1;").await;
    phone.wait_for("#desk-offline:not([hidden])").await;
    let card = format!("#incoming article[data-handoff='{handoff}']");
    phone.type_into(&format!("{card} input[name=code]"), code).await;
    phone
        .click(&format!("{card} form.confirm button[type=submit]"))
        .await;
    phone.wait_for_text("#desk-message", "kept on this phone").await;
}

#[actix_web::test]
async fn a_colleague_who_confirmed_first_is_named_and_nothing_is_counted_twice() {
    let w = World::new().await;
    w.new_vehicle("苏D·OF101", 20).await;
    let (person, id, code) = w.one_arrival("PVG", "CZ-TN-HM", "OF101", "苏D·OF101").await;
    let cable = Relay::to_service(&w.app.base);
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    installed_desk(&phone, &cable, DISTRICT_OFFICER).await;
    confirm_offline(&phone, &cable, &id, &code).await;

    // Meanwhile a colleague at the district's office confirms the same handoff.
    let pending = handoff(&w, &id).await;
    w.confirm(&pending, "CZ-TN", &[&person]).await.expect(200);

    // The signal returns: the phone's confirmation is refused, and says who was first.
    cable.set(UP);
    let refused = format!("#queue li[data-state=refused][data-handoff='{id}']");
    phone.wait_for(&refused).await;
    assert!(
        phone.text(&refused).await.contains("Already confirmed"),
        "{}",
        phone.text(&refused).await
    );
    phone.screenshot("desk-confirmed-by-colleague-phone").await;
    // One confirmation, one event; the statistics equal a recount.
    let admin = w.app.login(ADMIN).await;
    let events = w.app.events_of(&admin, "handoff", &id).await;
    let confirmations = events
        .iter()
        .filter(|e| e["action"] == "handoff.confirmed")
        .count();
    assert_eq!(confirmations, 1);
    assert_eq!(w.traveller(&person).await["status"], "at_district");
    w.assert_invariants();
    // Dismissed, it is gone; nothing else waits.
    phone.click(&format!("{refused} button[data-dismiss]")).await;
    phone
        .eventually(Duration::from_secs(5), "the refusal is dismissed", || async {
            (queue_count(&phone).await == 0).then_some(())
        })
        .await;
    phone.close().await;
}

/// A session can end without a sign-out (a refresh that fails while offline, say): the queue
/// stays for the same user, turns red after half an hour, is never shown to or sent by another
/// user of the phone, and goes out when its own user signs in again.
#[actix_web::test]
async fn a_queue_left_by_an_ended_session_waits_for_its_own_user_only() {
    let w = World::new().await;
    w.new_vehicle("苏D·OF201", 20).await;
    let (_, id, code) = w.one_arrival("PVG", "CZ-TN-HM", "OF201", "苏D·OF201").await;
    let cable = Relay::to_service(&w.app.base);
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    installed_desk(&phone, &cable, DISTRICT_OFFICER).await;
    let before = chrono::Utc::now();
    confirm_offline(&phone, &cable, &id, &code).await;
    let after = chrono::Utc::now();
    assert_eq!(queue_count(&phone).await, 1);
    assert!(!phone.exists("#queue-count.bad").await);

    // Half an hour later, still unsent (the queue's clock is moved back rather than the test
    // waiting): the count turns red and the action says what to do.
    let half_an_hour_ago = chrono::Utc::now() - chrono::Duration::minutes(31);
    phone
        .run(&format!(
            "for (const k of Object.keys(localStorage).filter(k => k.startsWith('inbound-transfer.queue.'))) {{ \
               const items = JSON.parse(localStorage.getItem(k)); \
               for (const x of items) x.queued_at = '{at}'; \
               localStorage.setItem(k, JSON.stringify(items)); }} \
             location.reload(); return 1;",
            at = half_an_hour_ago.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ))
        .await;
    phone.wait_for("#queue-count.bad").await;
    phone.wait_for("#queue li.late").await;
    assert!(phone
        .text("#queue li.late")
        .await
        .contains("more than 30 minutes"));
    phone.screenshot("desk-queue-late-phone").await;

    // The session ends without a sign-out; another officer signs in on the same phone.
    phone
        .run("localStorage.removeItem('inbound-transfer.session'); return 1;")
        .await;
    cable.set(UP);
    phone.sign_in(&cable.base(), COMMUNITY_OFFICER).await;
    phone.open(&format!("{}/console/#/desk", cable.base())).await;
    phone.wait_for("#incoming").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        queue_count(&phone).await,
        0,
        "another user sees the first one's queue"
    );
    assert!(!phone.exists("#queue li").await);
    assert_eq!(
        handoff(&w, &id).await["status"],
        "pending",
        "another user's session sent the first one's action"
    );
    phone.click("#signout").await;
    phone.wait_for("#signin").await;

    // The first officer signs in again: the action goes out, with the time at the door.
    phone.sign_in(&cable.base(), DISTRICT_OFFICER).await;
    let done = phone
        .eventually(
            Duration::from_secs(30),
            "the kept confirmation is sent",
            || async {
                let h = handoff(&w, &id).await;
                (h["status"] == "confirmed").then_some(h)
            },
        )
        .await;
    let confirmed_at = chrono::DateTime::parse_from_rfc3339(done["confirmed_at"].as_str().unwrap()).unwrap();
    assert!(before <= confirmed_at && confirmed_at <= after, "{done}");
    phone
        .eventually(Duration::from_secs(10), "the count is gone", || async {
            (queue_count(&phone).await == 0).then_some(())
        })
        .await;
    phone.close().await;
}

/// A new version of the service replaces the console on the phone whole: the old version keeps
/// serving until the officer reloads from the banner, then only the new version's files remain.
#[actix_web::test]
async fn a_new_version_replaces_the_installed_console_when_the_officer_reloads() {
    let w = World::new().await;
    w.new_vehicle("苏D·OF301", 20).await;
    w.one_arrival("PVG", "CZ-TN-HM", "OF301", "苏D·OF301").await;
    let upgraded = w
        .app
        .second_instance_with(|s| s.console.version_salt = Some("next".into()))
        .await;
    let version_of = |page: String| {
        page.split("/console/assets/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned()
    };
    let page = |base: String| {
        let client = w.app.client.clone();
        async move {
            let mut r = client.get(format!("{base}/console/")).send().await.unwrap();
            String::from_utf8(r.body().await.unwrap().to_vec()).unwrap()
        }
    };
    let old = version_of(page(w.app.base.clone()).await);
    let new = version_of(page(upgraded.base.clone()).await);
    assert_ne!(old, new);

    let cable = Relay::to_service(&w.app.base);
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    installed_desk(&phone, &cable, DISTRICT_OFFICER).await;
    let caches = || async {
        phone
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; \
                 (async () => { const out = {}; for (const name of await caches.keys()) { \
                   out[name] = (await (await caches.open(name)).keys()).map((r) => new URL(r.url).pathname); } \
                   return out; })().then(done, (e) => done(String(e)));",
                vec![],
            )
            .await
            .unwrap()
    };
    phone
        .eventually(Duration::from_secs(10), "the old version cached", || async {
            caches().await.get(format!("console-{old}")).map(|_| ())
        })
        .await;

    // The service is upgraded behind the same address; the officer comes back to the desk.
    cable.retarget(&upgraded.base);
    phone.run("location.reload(); return 1;").await;
    phone.wait_for("#update:not([hidden])").await;
    assert!(phone.text("#update").await.contains("new version"));
    phone.screenshot("desk-update-phone").await;
    phone.click("#update-reload").await;
    phone
        .eventually(
            Duration::from_secs(20),
            "only the new version is cached",
            || async {
                let all = caches().await;
                let names: Vec<&String> = all.as_object()?.keys().collect();
                (names == [&format!("console-{new}")]).then_some(())
            },
        )
        .await;
    let all = caches().await;
    let files = all[format!("console-{new}")].as_array().unwrap().clone();
    assert!(
        files.iter().all(|f| {
            let f = f.as_str().unwrap();
            f == "/console/" || f.starts_with(&format!("/console/assets/{new}/"))
        }),
        "{files:?}"
    );
    // The page runs the new version's files, and opens from them with no network.
    phone.wait_for("#incoming article[data-handoff]").await;
    let scripts = phone
        .run("return [...document.scripts].map(s => s.src).filter(Boolean);")
        .await;
    assert!(scripts
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s.as_str().unwrap().contains(&new)));
    cable.set(DOWN);
    phone.run("location.reload(); return 1;").await;
    phone.wait_for("#desk-offline:not([hidden])").await;
    phone.wait_for("#incoming article[data-handoff]").await;
    cable.set(UP);
    phone.close().await;
}

/// The confirmation reaches the service but its answer is lost on the way back: the phone keeps
/// it with the same Idempotency-Key, and sending it again replays the answer. Confirmed once, one
/// event.
#[actix_web::test]
async fn a_confirmation_whose_answer_was_lost_is_sent_again_and_acts_once() {
    let w = World::new().await;
    w.new_vehicle("苏D·OF401", 20).await;
    let (person, id, code) = w.one_arrival("PVG", "CZ-TN-HM", "OF401", "苏D·OF401").await;
    let cable = Relay::to_service(&w.app.base);
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    installed_desk(&phone, &cable, DISTRICT_OFFICER).await;
    let card = format!("#incoming article[data-handoff='{id}']");
    phone.type_into(&format!("{card} input[name=code]"), &code).await;
    cable.set(ANSWERS_LOST);
    phone
        .click(&format!("{card} form.confirm button[type=submit]"))
        .await;
    // The service acted; the phone does not know it and keeps the action.
    phone
        .eventually(
            Duration::from_secs(20),
            "the confirmation reaches the service",
            || async { (handoff(&w, &id).await["status"] == "confirmed").then_some(()) },
        )
        .await;
    phone
        .eventually(Duration::from_secs(20), "the action is kept", || async {
            (queue_count(&phone).await == 1).then_some(())
        })
        .await;
    // The signal is back: the kept action goes out by itself (the next request that gets
    // through, or the timer), with its first key.
    cable.set(UP);
    phone
        .eventually(Duration::from_secs(45), "the kept action is sent", || async {
            (queue_count(&phone).await == 0).then_some(())
        })
        .await;
    assert!(
        !phone.exists("#queue li[data-state=refused]").await,
        "the replay was refused"
    );
    let admin = w.app.login(ADMIN).await;
    let events = w.app.events_of(&admin, "handoff", &id).await;
    assert_eq!(
        events
            .iter()
            .filter(|e| e["action"] == "handoff.confirmed")
            .count(),
        1,
        "confirmed once"
    );
    assert_eq!(w.traveller(&person).await["status"], "at_district");
    w.assert_invariants();
    phone.close().await;
}
