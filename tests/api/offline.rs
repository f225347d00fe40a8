//! The handoff desk at a door with no signal, in a real browser: the console installs itself (a
//! service worker and a web app manifest), opens again with the cable pulled, shows the desk as
//! last known, keeps what the officer does on the phone and sends it, in order, once the service
//! can be reached again, with the time at the door. A refused action stays until dismissed; a
//! sign-out with actions unsent asks first, and leaves nothing personal on the device.

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{Browser, Screen};
use crate::helpers::*;
use crate::relay::{Relay, DOWN, UP};
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
    phone
        .eventually(
            Duration::from_secs(20),
            "the service worker controls the page",
            || async {
                (phone
                    .run("return Boolean(navigator.serviceWorker.controller);")
                    .await
                    == json!(true))
                .then_some(())
            },
        )
        .await;
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
