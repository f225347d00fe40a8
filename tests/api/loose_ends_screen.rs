//! The loose-ends screen in a real browser: a dispatcher clears one end of each kind, each with
//! one click and a confirmation, and the counts follow without a reload; a viewer sees counts only.

use std::time::Duration;

use serde_json::json;

use crate::browser::{Browser, Screen};
use crate::helpers::*;
use crate::world::World;

/// A count the screen's filter shows for a kind.
async fn chip(browser: &Browser, kind: &str) -> i64 {
    let value = browser
        .run(&format!(
            "const c = document.querySelector(\"#loose-counts [data-kind='{kind}']\"); return c ? Number(c.dataset.count) : -1;"
        ))
        .await;
    value.as_i64().unwrap()
}

#[actix_web::test]
async fn a_dispatcher_clears_one_loose_end_of_each_kind_on_its_screen() {
    let w = World::new().await;
    // Missing: one of two left out at the district's door.
    let people = [
        w.register("PVG", "CZ-TN-HM", "LS001").await,
        w.register("PVG", "CZ-TN-QL", "LS001").await,
    ];
    let bus = w.new_vehicle("苏D·LS001", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    let to_tn = w.pending_to("CZ-TN").await.remove(0);
    w.confirm(&to_tn, "CZ-TN", &[people[0].as_str()])
        .await
        .expect(200);
    let missing_from = to_tn["id"].as_str().unwrap().to_owned();
    // Rejected by the next district.
    let returned = w.register("PVG", "CZ-ZL-XC", "LS002").await;
    let bus = w.new_vehicle("苏D·LS002", 20).await;
    w.run_batch("PVG", std::slice::from_ref(&returned), &bus, &[])
        .await;
    let to_zl = w.pending_to("CZ-ZL").await.remove(0);
    let rejected = to_zl["id"].as_str().unwrap().to_owned();
    w.app
        .post(
            &format!("/api/v1/handoffs/{rejected}/reject"),
            w.officer("CZ-ZL"),
            json!({"reason": "not ours"}),
        )
        .await
        .expect(200);
    // Locked by wrong codes at the third district.
    w.new_vehicle("苏D·LS003", 20).await;
    let (locked_person, locked, code) = w.one_arrival("PVG", "CZ-WJ-HL", "LS003", "苏D·LS003").await;
    for _ in 0..5 {
        w.app
            .post(
                &format!("/api/v1/handoffs/{locked}/confirm"),
                w.officer("CZ-WJ"),
                json!({"code": World::wrong_code(&code), "received_traveller_ids": [locked_person]}),
            )
            .await;
    }
    // Waiting at the port since an arrival long past.
    w.register("PVG", "CZ-TN-QL", "LS004").await;

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&w.app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/dashboard", w.app.base)).await;
    // The dashboard's figure is the overview's, and leads to the list.
    let overview = w
        .app
        .get("/api/v1/stats/overview", &w.dispatcher)
        .await
        .expect(200)
        .body;
    let total: i64 = overview["loose_ends"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert!(total >= 4, "{overview}");
    browser
        .eventually(Duration::from_secs(10), "the loose-ends figure", || async {
            let v = browser
                .run("const c = document.querySelector('#stat-loose'); return c ? Number(c.dataset.value) : -1;")
                .await;
            (v == json!(total)).then_some(())
        })
        .await;
    browser.click("a#stat-loose").await;
    let card = |kind: &str, handoff: &str| format!("#loose-ends article[data-end='{kind}:{handoff}']");
    browser.wait_for(&card("missing", &missing_from)).await;
    assert_eq!(chip(&browser, "all").await, total);
    browser.screenshot("loose-ends-dispatcher").await;
    let gone = |css: String| {
        let browser = &browser;
        async move {
            browser
                .eventually(Duration::from_secs(10), &format!("{css} leaves the list"), || {
                    let css = css.clone();
                    async move { (!browser.exists(&css).await).then_some(()) }
                })
                .await
        }
    };

    // The missing person is handed again, by default to their own district.
    let missing = card("missing", &missing_from);
    let target = browser
        .run(&format!(
            "return document.querySelector(\"{missing} select[name=to]\").value;"
        ))
        .await;
    assert_eq!(target, json!(w.app.unit("CZ-TN")), "the next unit on their way");
    browser
        .click(&format!("{missing} button[data-action=hand]"))
        .await;
    browser
        .click(&format!("{missing} button[data-confirm=hand]"))
        .await;
    gone(missing).await;
    let person = w.traveller(&people[1]).await;
    assert!(person["handoff_id"].is_string(), "handed again: {person}");
    assert_eq!(chip(&browser, "missing").await, 0);

    // The rejected person gets an exception.
    let returned_card = card("rejected", &rejected);
    browser
        .type_into(
            &format!("{returned_card} input[name=reason]"),
            "taken to hospital",
        )
        .await;
    let typed = browser
        .run(&format!(
            "return document.querySelector(\"{returned_card} input[name=reason]\").value;"
        ))
        .await;
    assert_eq!(typed, json!("taken to hospital"), "the card kept what was typed");
    browser
        .click(&format!("{returned_card} button[data-action=exception]"))
        .await;
    browser
        .click(&format!("{returned_card} button[data-confirm=exception]"))
        .await;
    gone(returned_card).await;
    assert_eq!(w.traveller(&returned).await["status"], "exception");

    // The locked handoff is reissued: the screen says the new code.
    let locked_card = card("locked", &locked);
    assert!(
        browser.text(&locked_card).await.contains("CZ-WJ") || browser.text(&locked_card).await.contains("→")
    );
    browser
        .click(&format!("{locked_card} button[data-action=reissue]"))
        .await;
    browser
        .click(&format!("{locked_card} button[data-confirm=reissue]"))
        .await;
    gone(locked_card).await;
    let old = w
        .app
        .get(&format!("/api/v1/handoffs/{locked}"), &w.dispatcher)
        .await
        .expect(200)
        .body;
    assert_eq!(old["status"], "cancelled");
    let new_code = w
        .code_of(&w.dispatcher, old["replaced_by"].as_str().unwrap())
        .await;
    browser.wait_for_text("#view .message.ok", &new_code).await;
    browser.screenshot("loose-ends-reissued").await;

    // The counts follow without a reload, here and on the dashboard.
    let overview = w
        .app
        .get("/api/v1/stats/overview", &w.dispatcher)
        .await
        .expect(200)
        .body;
    let left: i64 = overview["loose_ends"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(left, total - 3);
    browser
        .eventually(Duration::from_secs(10), "the count of every end", || async {
            (chip(&browser, "all").await == left).then_some(())
        })
        .await;

    // People waiting at a port lead to the board, with that port in view.
    browser.click("#loose-ends a[data-board=PVG]").await;
    browser.wait_for(".waiting.highlight[data-port=PVG]").await;
}

#[actix_web::test]
async fn a_viewer_sees_the_count_of_loose_ends_but_not_the_list() {
    let w = World::new().await;
    w.register("PVG", "CZ-TN-QL", "LS101").await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&w.app.base, VIEWER).await;
    browser.open(&format!("{}/console/#/dashboard", w.app.base)).await;
    browser.wait_for("div#stat-loose").await;
    assert!(
        !browser.exists("a#stat-loose").await,
        "a viewer's figure leads nowhere"
    );
    assert!(!browser.exists("#nav-loose-ends").await);
    browser
        .open(&format!("{}/console/#/loose-ends", w.app.base))
        .await;
    browser.wait_for("#stats").await;
    assert!(!browser.exists("#loose-ends").await);
}

#[actix_web::test]
async fn a_walk_in_is_registered_on_the_board_and_cards_say_who_boarded_and_which_vehicle() {
    let w = World::new().await;
    let people = [
        w.register("PVG", "CZ-TN-HM", "LS201").await,
        w.register("PVG", "CZ-TN-HM", "LS201").await,
        w.register("PVG", "CZ-TN-HM", "LS201").await,
    ];
    let bus = w.new_vehicle("苏D·LS201", 20).await;
    let batch = w
        .run_batch("PVG", &people, &bus, std::slice::from_ref(&people[2]))
        .await;
    let to_tn = w.pending_to("CZ-TN").await.remove(0);
    w.confirm(&to_tn, "CZ-TN", &[people[0].as_str()])
        .await
        .expect(200);
    let code = batch["code"].as_str().unwrap().to_owned();

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&w.app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", w.app.base)).await;
    // The batch card counts those who rode, and says what became of each.
    let card = format!("#batches article[data-code='{code}']");
    browser.wait_for(&card).await;
    assert_eq!(
        browser
            .run(&format!(
                "return document.querySelector(\"{card}\").dataset.people;"
            ))
            .await,
        json!("2")
    );
    let outcome = |id: &str| format!("{card} [data-traveller='{id}']");
    assert_eq!(
        browser
            .run(&format!(
                "return document.querySelector(\"{}\").dataset.outcome;",
                outcome(&people[0])
            ))
            .await,
        json!("boarded")
    );
    assert_eq!(
        browser
            .run(&format!(
                "return document.querySelector(\"{}\").dataset.outcome;",
                outcome(&people[1])
            ))
            .await,
        json!("missing")
    );
    assert_eq!(
        browser
            .run(&format!(
                "return document.querySelector(\"{}\").dataset.outcome;",
                outcome(&people[2])
            ))
            .await,
        json!("no_show")
    );
    assert!(
        browser
            .exists(&format!("{card} a[href='#/loose-ends?kind=missing']"))
            .await
    );

    // A walk-in typed at the port waits with the others.
    browser
        .type_into("#walkin-form input[name=full_name]", "王小明")
        .await;
    browser
        .type_into("#walkin-form input[name=document_no]", "W0000001")
        .await;
    browser
        .type_into("#walkin-form input[name=nationality]", "chn")
        .await;
    browser.click("#walkin-submit").await;
    browser.wait_for_text("#walkin .message.ok", "王小明").await;
    browser.wait_for_text("#view", "王小明").await;
    browser.screenshot("board-walk-in").await;
    let found = w
        .app
        .get("/api/v1/travellers?q=W0000001", &w.dispatcher)
        .await
        .expect(200)
        .body;
    let walk_in = &found["items"][0];
    assert_eq!(walk_in["status"], "awaiting_transfer");
    assert_eq!(walk_in["nationality"], "CHN");
    assert_eq!(walk_in["port_id"], w.port("PVG"));
}

#[actix_web::test]
async fn a_desk_card_names_the_batch_the_vehicle_and_the_driver() {
    let w = World::new().await;
    w.new_vehicle("苏D·LS301", 20).await;
    let (_, handoff, _) = w.one_arrival("PVG", "CZ-TN-HM", "LS301", "苏D·LS301").await;
    let batch_code = w
        .app
        .get(&format!("/api/v1/handoffs/{handoff}"), w.officer("CZ-TN"))
        .await
        .expect(200)
        .body["batch"]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let Some(browser) = Browser::start(Screen::Phone).await else {
        return;
    };
    browser.sign_in(&w.app.base, DISTRICT_OFFICER).await;
    browser.open(&format!("{}/console/#/desk", w.app.base)).await;
    let trip = browser
        .text(&format!("#incoming article[data-handoff='{handoff}'] .trip"))
        .await;
    assert!(trip.contains(&batch_code), "{trip}");
    assert!(trip.contains("苏D·LS301"), "{trip}");
    assert!(trip.contains("Zhang Wei"), "{trip}");
    let overflow = browser
        .run("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await;
    assert_eq!(overflow, json!(0));
    let text = browser.run("return document.body.innerText;").await;
    let text = text.as_str().unwrap();
    assert!(!text.contains("null") && !text.contains("undefined"), "{text}");
    browser.screenshot("desk-trip").await;
}

/// Every screen of every role at a phone's width: nothing wider than the viewport, no `null` or
/// `undefined` in the text, in both languages.
#[actix_web::test]
async fn at_phone_width_no_screen_is_wider_than_the_phone_or_says_null() {
    let w = World::new().await;
    w.new_vehicle("苏D·LS401", 20).await;
    w.one_arrival("PVG", "CZ-TN-HM", "LS401", "苏D·LS401").await;
    w.register("PVG", "CZ-TN-QL", "LS402").await;
    let Some(browser) = Browser::start(Screen::Phone).await else {
        return;
    };
    let cases: [((&str, &str), &[&str]); 5] = [
        (DISPATCHER, &["dashboard", "wall", "loose-ends", "board", "trace"]),
        (
            DISTRICT_OFFICER,
            &["dashboard", "desk", "loose-ends", "trace", "wall"],
        ),
        (COMMUNITY_OFFICER, &["dashboard", "desk", "loose-ends"]),
        (VIEWER, &["dashboard"]),
        (ADMIN, &["dashboard", "loose-ends", "admin"]),
    ];
    for (account, screens) in cases {
        browser.sign_in(&w.app.base, account).await;
        for lang in ["en", "zh"] {
            browser
                .run(&format!(
                    "localStorage.setItem('inbound-transfer.lang', '{lang}'); return 1;"
                ))
                .await;
            for screen in screens {
                browser.open(&format!("{}/console/#/{screen}", w.app.base)).await;
                browser.run("location.reload(); return 1;").await;
                browser
                    .wait_for(&format!("main[data-screen='{screen}'] :is(h1, h2)"))
                    .await;
                // Let the screen's data arrive.
                tokio::time::sleep(Duration::from_millis(700)).await;
                let overflow = browser
                    .run(
                        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
                    )
                    .await;
                if overflow != json!(0) {
                    browser
                        .screenshot(&format!("overflow-{}-{screen}-{lang}", account.0))
                        .await;
                    let wide = browser
                        .run("const w = document.documentElement.clientWidth + 1; return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w && e.parentElement.getBoundingClientRect().right <= w && !e.parentElement.closest('.scroll')).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id + ' in ' + e.parentElement.tagName + '.' + e.parentElement.className).join(' | ');")
                        .await;
                    panic!(
                        "{} {screen} {lang}: {overflow} px wider than the phone: {wide}",
                        account.0
                    );
                }
                let text = browser.run("return document.body.innerText;").await;
                let text = text.as_str().unwrap();
                assert!(
                    !text.contains("null") && !text.contains("undefined"),
                    "{} {screen} {lang}: {text}",
                    account.0
                );
            }
        }
        browser.run("localStorage.clear(); return 1;").await;
    }
}

#[actix_web::test]
async fn a_dashboard_opened_afresh_shows_the_newest_events_and_says_which_vehicle() {
    let w = World::new().await;
    let bus = w.new_vehicle("苏D·LS501", 20).await;
    let t = w.register("PVG", "CZ-TN-HM", "LS501").await;
    w.run_batch("PVG", std::slice::from_ref(&t), &bus, &[]).await;
    w.disinfect(&bus).await;
    // The log's newest events, newest first, without a next page.
    let newest = w
        .app
        .get("/api/v1/events?newest=true&limit=3", &w.dispatcher)
        .await
        .expect(200)
        .body;
    let seqs: Vec<i64> = newest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 3);
    assert!(seqs.windows(2).all(|p| p[0] > p[1]), "{seqs:?}");
    assert!(newest["next_cursor"].is_null());
    assert_eq!(newest["items"][0]["action"], "vehicle.disinfected");

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&w.app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/dashboard", w.app.base)).await;
    browser.run("location.reload(); return 1;").await;
    // The newest first (the sign-in itself), the disinfection among them, naming the vehicle.
    let feed = browser.wait_for_text("#feed", "苏D·LS501").await;
    let line = feed.lines().find(|l| l.contains("苏D·LS501")).unwrap();
    assert!(line.contains("disinfected"), "{feed}");
}
