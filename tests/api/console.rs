//! The web console in a real browser (headless Chromium through WebDriver) against the real
//! server on a fresh database. Each test leaves a screenshot of its screen in
//! `target/screenshots`.

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{Browser, Screen};
use crate::helpers::*;
use crate::relay::{Relay, DOWN, UP};
use crate::world::World;

/// An account, the name the console shows for it, the screens it has and those it must not have.
type RoleCase = (
    (&'static str, &'static str),
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// What a number card on the dashboard shows (read in one step, as the cards are redrawn often).
async fn card(browser: &Browser, id: &str) -> i64 {
    let value = browser
        .run(&format!(
            "return document.querySelector('#stat-{id}')?.dataset.value ?? null;"
        ))
        .await;
    value
        .as_str()
        .and_then(|v| v.parse::<f64>().ok())
        .map_or(-1, |v| v as i64)
}

async fn wait_for_card(browser: &Browser, id: &str, wanted: i64, within: Duration) {
    browser
        .eventually(within, &format!("the {id} card shows {wanted}"), || async {
            (browser.exists(&format!("#stat-{id}")).await && card(browser, id).await == wanted).then_some(())
        })
        .await;
}

/// Creates a batch on the open board: ticks the travellers, picks the port, the vehicle (if any)
/// and a crew of one; answers the batch's id once its card shows.
async fn batch_on_board(
    browser: &Browser,
    travellers: &[&str],
    port: &str,
    vehicle: Option<&str>,
    (crew, phone): (&str, &str),
) -> String {
    for id in travellers {
        browser.click(&format!("input[data-traveller='{id}']")).await;
    }
    browser
        .wait_for_text("#picked", &format!("Travellers picked: {}", travellers.len()))
        .await;
    let select = |css: &'static str, value: String| async move {
        browser.find(css).await.select_by_value(&value).await.unwrap();
    };
    select("#batch-port", port.to_owned()).await;
    if let Some(vehicle) = vehicle {
        select("#batch-vehicle", vehicle.to_owned()).await;
    }
    browser.type_into("#new-batch input[name=crew_name]", crew).await;
    browser
        .type_into("#new-batch input[name=crew_phone]", phone)
        .await;
    browser.click("#batch-create").await;
    let card = browser.wait_for("#batches article[data-status=planned]").await;
    card.attr("data-batch").await.unwrap().unwrap()
}

#[actix_web::test]
async fn each_role_signs_in_sees_its_own_screens_and_signs_out() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    // (account, display name, screens it has, screens it must not have)
    let cases: [RoleCase; 5] = [
        (
            ADMIN,
            "System Administrator",
            &["dashboard", "trace", "admin"],
            &["desk", "board"],
        ),
        (
            DISPATCHER,
            "Changzhou Transfer Team",
            &["dashboard", "board", "trace"],
            &["desk", "admin"],
        ),
        (
            DISTRICT_OFFICER,
            "Tianning District Officer",
            &["dashboard", "desk", "trace"],
            &["board", "admin"],
        ),
        (
            COMMUNITY_OFFICER,
            "Hongmei Community Officer",
            &["dashboard", "desk", "trace"],
            &["board", "admin"],
        ),
        (
            VIEWER,
            "Changzhou Dashboard",
            &["dashboard"],
            &["desk", "board", "trace", "admin"],
        ),
    ];
    for (account, display_name, has, lacks) in cases {
        browser.sign_in(&app.base, account).await;
        browser.wait_for_text("#whoami", display_name).await;
        for screen in has {
            assert!(
                browser.exists(&format!("#nav-{screen}")).await,
                "{} has {screen}",
                account.0
            );
        }
        for screen in lacks {
            assert!(
                !browser.exists(&format!("#nav-{screen}")).await,
                "{} lacks {screen}",
                account.0
            );
            // Typing the address of a screen the role lacks lands on the dashboard.
            browser.open(&format!("{}/console/#/{screen}", app.base)).await;
            browser.wait_for("main[data-screen=dashboard]").await;
        }
        browser.wait_for("#stat-received").await;
        if account == VIEWER {
            browser.screenshot("dashboard-viewer").await;
        }
        browser.click("#signout").await;
        browser.wait_for("#signin").await;
        // Signed out means the refresh token is gone too.
        let stored = browser
            .run("return localStorage.getItem('inbound-transfer.session');")
            .await;
        assert!(stored.is_null(), "nothing of the session is kept");
    }
    // Wrong credentials say so, in the form.
    browser
        .type_into("#signin input[name=username]", "cz.dispatcher")
        .await;
    browser
        .type_into("#signin input[name=password]", "not-the-password")
        .await;
    browser.click("#signin-submit").await;
    browser
        .wait_for_text("#signin .message", "Wrong username or password")
        .await;
    browser.screenshot("signin").await;
    browser.assert_same_origin(&app.base).await;
    browser.close().await;
}

#[actix_web::test]
async fn the_dashboard_shows_the_apis_numbers_and_a_change_within_two_seconds() {
    let world = World::new().await;
    let app = &world.app;
    // Some people in every state the cards show: two waiting, one batch arrived (a pending
    // handoff to Tianning), one exception.
    world.register("PVG", "CZ-TN-HM", "MU5001").await;
    world.register("SHA", "CZ-ZL-NY", "MU5002").await;
    let carried = world.register("PVG", "CZ-TN-QL", "MU5001").await;
    let bus = world.vehicle("苏D·Z0001").await;
    world.run_batch("PVG", &[carried], &bus, &[]).await;
    let refused = world.register("PVG", "CZ-WJ-HL", "MU5003").await;
    app.post(
        &format!("/api/v1/travellers/{refused}/exception"),
        &world.dispatcher,
        json!({"kind": "hospitalised", "reason": "fever at the port", "facility": "No. 1 Hospital"}),
    )
    .await
    .expect(200);

    for (account, token, screenshot) in [
        (DISPATCHER, &world.dispatcher, "dashboard"),
        (VIEWER, &world.viewer, ""),
    ] {
        let Some(browser) = Browser::start(Screen::Laptop).await else {
            return;
        };
        browser.sign_in(&app.base, account).await;
        browser.wait_for("#stat-awaiting").await;
        let o = app.get("/api/v1/stats/overview", token).await.expect(200).body;
        let s = &o["travellers"]["by_status"];
        let n = |v: &Value| v.as_i64().unwrap();
        wait_for_card(
            &browser,
            "awaiting",
            n(&s["awaiting_transfer"]) + n(&s["assigned"]),
            Duration::from_secs(5),
        )
        .await;
        assert!(card(&browser, "awaiting").await >= 2);
        assert_eq!(card(&browser, "at_city").await, n(&s["arrived"]));
        assert_eq!(card(&browser, "at_city").await, 1);
        assert_eq!(
            card(&browser, "on_road").await,
            n(&s["boarded"]) + n(&s["in_transit"])
        );
        assert_eq!(card(&browser, "exceptions").await, n(&s["exception"]));
        assert_eq!(card(&browser, "exceptions").await, 1);
        assert_eq!(card(&browser, "received").await, n(&s["received"]));
        assert_eq!(card(&browser, "pending").await, n(&o["handoffs"]["pending"]));
        assert_eq!(card(&browser, "overdue").await, n(&o["handoffs"]["overdue"]));
        assert_eq!(card(&browser, "missing").await, n(&o["loop"]["missing"]));
        // The districts table holds the API's rows.
        let districts = app.get("/api/v1/stats/districts", token).await.expect(200).body;
        for d in districts["items"].as_array().unwrap() {
            let row = browser
                .text(&format!(
                    "#districts tr[data-unit='{}']",
                    d["unit_id"].as_str().unwrap()
                ))
                .await;
            // The English console names a unit by its English name where it has one.
            let name = d["name_en"].as_str().or(d["name"].as_str()).unwrap();
            assert!(row.contains(name), "{row}");
            assert!(row.contains(&d["expected"].to_string()), "{row}");
        }
        // The dispatcher's chart is by day; a viewer's dashboard is the wall, today by hour.
        let chart = if account == VIEWER { "#hourly" } else { "#daily" };
        assert!(
            browser.exists(&format!("{chart} svg polyline")).await,
            "the chart is drawn"
        );
        // A viewer has numbers only, no feed; the dispatcher has the feed.
        assert_eq!(browser.exists("#feed").await, account != VIEWER);

        // A change made through the API shows within two seconds, without reloading.
        let before = card(&browser, "awaiting").await;
        world.register("NKG", "CZ-WJ-NX", "MU5009").await;
        wait_for_card(&browser, "awaiting", before + 1, Duration::from_secs(2)).await;
        let as_of = browser.find("#as-of").await.attr("data-as-of").await.unwrap();
        assert!(as_of.is_some(), "the dashboard says as of when");
        if !screenshot.is_empty() {
            browser.wait_for("#feed li .action").await;
            browser.screenshot(screenshot).await;
        }
        browser.assert_same_origin(&app.base).await;
        browser.close().await;
    }
}

#[actix_web::test]
async fn a_district_officer_confirms_at_phone_width_with_one_person_missing() {
    let world = World::new().await;
    let app = &world.app;
    let people = [
        world.register("PVG", "CZ-TN-HM", "MU5001").await,
        world.register("PVG", "CZ-TN-HM", "MU5001").await,
        world.register("PVG", "CZ-TN-QL", "MU5001").await,
    ];
    let bus = world.vehicle("苏D·Z0002").await;
    world.run_batch("PVG", &people, &bus, &[]).await;
    let handoff = world.pending_to("CZ-TN").await.remove(0);
    let id = handoff["id"].as_str().unwrap().to_owned();
    let code = world.code_of(&world.dispatcher, &id).await;

    let Some(browser) = Browser::start(Screen::Phone).await else {
        return;
    };
    browser.sign_in(&app.base, DISTRICT_OFFICER).await;
    browser.open(&format!("{}/console/#/desk", app.base)).await;
    let width = browser.run("return window.innerWidth;").await;
    assert_eq!(width, json!(375), "a phone's width");
    let card = format!("#incoming article[data-handoff='{id}']");
    browser.wait_for(&card).await;
    let overflow = browser
        .run("return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        .await;
    assert_eq!(overflow, json!(0), "nothing is wider than the phone");

    // A wrong code says how many tries remain.
    browser
        .type_into(&format!("{card} input[name=code]"), World::wrong_code(&code))
        .await;
    browser
        .click(&format!("{card} form.confirm button[type=submit]"))
        .await;
    browser
        .wait_for_text(&format!("{card} .message"), "4 tries left")
        .await;
    browser.screenshot("desk-wrong-code").await;
    let after = app
        .get(&format!("/api/v1/handoffs/{id}"), world.officer("CZ-TN"))
        .await
        .expect(200)
        .body;
    assert_eq!(after["failed_attempts"], 1);
    assert_eq!(after["status"], "pending");

    // The last person is not there: untick them, type the right code.
    browser
        .click(&format!("{card} input[name=present][value='{}']", people[2]))
        .await;
    // Another handoff arrives meanwhile and the desk redraws: the tick stays as the officer left it.
    world.one_arrival("SHA", "CZ-TN-QL", "FM9102", "苏D·Z0003").await;
    browser
        .eventually(Duration::from_secs(10), "the second handoff shows", || async {
            let cards = browser
                .run("return document.querySelectorAll('#incoming article').length;")
                .await;
            (cards == json!(2)).then_some(())
        })
        .await;
    let ticked = browser
        .run(&format!(
            "return document.querySelector(\"{card} input[name=present][value='{}']\").checked;",
            people[2]
        ))
        .await;
    assert_eq!(ticked, json!(false), "the officer's untick survives the redraw");
    browser
        .type_into(&format!("{card} input[name=code]"), &code)
        .await;
    browser
        .click(&format!("{card} form.confirm button[type=submit]"))
        .await;
    browser
        .wait_for_text("#desk-message", "2 received, 1 recorded missing")
        .await;
    browser.screenshot("desk-phone").await;

    let done = app
        .get(&format!("/api/v1/handoffs/{id}"), world.officer("CZ-TN"))
        .await
        .expect(200)
        .body;
    assert_eq!(done["status"], "confirmed");
    assert_eq!(done["missing_traveller_ids"], json!([people[2]]));
    let tn = app.unit("CZ-TN");
    for p in &people[..2] {
        let t = world.traveller(p).await;
        assert_eq!(
            t["custodian_unit_id"],
            tn.as_str(),
            "received into the district's custody"
        );
        assert_eq!(t["status"], "at_district");
    }
    let missing = world.traveller(&people[2]).await;
    assert_eq!(missing["missing"], true);
    assert_ne!(
        missing["custodian_unit_id"],
        tn.as_str(),
        "the missing stay with the sender"
    );

    // The handoffs the district now makes to its communities appear with their codes to read out.
    browser.wait_for("#outgoing article .handoff-code").await;
    let onward = app
        .get(
            &format!("/api/v1/handoffs?status=pending&from_unit_id={tn}"),
            world.officer("CZ-TN"),
        )
        .await
        .expect(200)
        .body;
    for h in onward["items"].as_array().unwrap() {
        let shown = browser
            .text(&format!(
                "#outgoing article[data-handoff='{}'] .handoff-code",
                h["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(shown, h["code"].as_str().unwrap());
    }
    browser.assert_same_origin(&app.base).await;
    browser.close().await;
}

#[actix_web::test]
async fn a_new_incoming_handoff_appears_on_an_open_desk_and_a_locked_one_says_whom_to_call() {
    let world = World::new().await;
    let app = &world.app;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISTRICT_OFFICER).await;
    browser.open(&format!("{}/console/#/desk", app.base)).await;
    browser.wait_for_text("#incoming", "No handoff is waiting").await;

    let (traveller, id, code) = world.one_arrival("PVG", "CZ-TN-HM", "MU5001", "苏D·Z0003").await;
    let card = format!("#incoming article[data-handoff='{id}']");
    browser.wait_for(&card).await;
    browser.wait_for_text("#desk-alert", "New handoff from").await;

    // Four wrong codes through the API, the fifth on the desk: it locks and says whom to call.
    for _ in 0..4 {
        app.post(
            &format!("/api/v1/handoffs/{id}/confirm"),
            world.officer("CZ-TN"),
            json!({"code": World::wrong_code(&code), "received_traveller_ids": [traveller]}),
        )
        .await
        .expect_problem(422, "invalid_handoff_code");
    }
    let now = app
        .get(&format!("/api/v1/handoffs/{id}"), world.officer("CZ-TN"))
        .await
        .expect(200)
        .body;
    assert_eq!(
        (now["failed_attempts"].as_i64(), now["locked"].as_bool()),
        (Some(4), Some(false))
    );
    let hotline = now["from_unit"]["hotline"]
        .as_str()
        .expect("the city has a hotline")
        .to_owned();
    browser
        .type_into(&format!("{card} input[name=code]"), World::wrong_code(&code))
        .await;
    browser
        .click(&format!("{card} form.confirm button[type=submit]"))
        .await;
    let said = browser.wait_for_text(&format!("{card} .message"), "locked").await;
    assert!(said.contains(&hotline), "{said}");
    assert!(said.contains("Changzhou"), "{said}");
    browser.close().await;
}

#[actix_web::test]
async fn a_dispatcher_creates_a_batch_on_the_board_and_takes_it_to_arrival() {
    let world = World::new().await;
    let app = &world.app;
    let a = world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let b = world.register("PVG", "CZ-ZL-NY", "MU5001").await;
    let elsewhere = world.register("SHA", "CZ-WJ-HL", "MU5002").await;

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.wait_for("table.waiting[data-port=PVG]").await;
    assert!(
        browser
            .exists(&format!(
                "table.waiting[data-port=SHA] input[data-traveller='{elsewhere}']"
            ))
            .await
    );
    let minibus = world.vehicle("苏D·Z0003").await;
    let batch_id = batch_on_board(
        &browser,
        &[&a, &b],
        world.port("PVG"),
        Some(&minibus),
        ("Zhang Wei", "13800000001"),
    )
    .await;
    browser.screenshot("board").await;

    let batch = app
        .get(&format!("/api/v1/batches/{batch_id}"), &world.dispatcher)
        .await
        .expect(200)
        .body;
    assert_eq!(batch["vehicle"]["id"], minibus.as_str());
    let mut members: Vec<&str> = batch["traveller_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    members.sort();
    let mut wanted = [a.as_str(), b.as_str()];
    wanted.sort();
    assert_eq!(members, wanted);
    assert_eq!(batch["crew"][0]["name"], "Zhang Wei");

    for (button, next) in [
        ("board.record_boarding", "boarding"),
        ("board.depart", "in_transit"),
        ("board.arrive", "arrived"),
    ] {
        browser
            .click(&format!(
                "#batches article[data-batch='{batch_id}'] button[data-action='{button}']"
            ))
            .await;
        browser
            .wait_for(&format!(
                "#batches article[data-batch='{batch_id}'][data-status={next}]"
            ))
            .await;
        let now = app
            .get(&format!("/api/v1/batches/{batch_id}"), &world.dispatcher)
            .await
            .expect(200)
            .body;
        assert_eq!(now["status"], next);
    }
    // Arrival made one handoff per district, each with its code on the card to read out.
    let arrived = app
        .get(&format!("/api/v1/batches/{batch_id}"), &world.dispatcher)
        .await
        .expect(200)
        .body;
    let handoffs = arrived["handoffs"].as_array().unwrap();
    assert_eq!(handoffs.len(), 2);
    for h in handoffs {
        let shown = browser
            .text(&format!(
                "#batches li[data-handoff='{}'] .handoff-code",
                h["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(shown, h["code"].as_str().unwrap());
    }
    let vehicle = app
        .get(&format!("/api/v1/vehicles/{minibus}"), &world.dispatcher)
        .await
        .expect(200)
        .body;
    assert_eq!(vehicle["status"], "needs_disinfection");
    browser.screenshot("board-arrived").await;
    // The batch's notices open for printing, one page per traveller.
    browser
        .click(&format!(
            "#batches article[data-batch='{batch_id}'] button[data-action='board.notices']"
        ))
        .await;
    let windows = browser
        .eventually(Duration::from_secs(10), "the notices open", || async {
            let all = browser.client.windows().await.unwrap();
            (all.len() == 2).then_some(all)
        })
        .await;
    let board = browser.client.window().await.unwrap();
    let notices = windows.into_iter().find(|w| *w != board).unwrap();
    browser.client.switch_to_window(notices).await.unwrap();
    let first = world.traveller(&a).await;
    browser
        .wait_for_text("body", first["full_name"].as_str().unwrap())
        .await;
    browser
        .wait_for_text("body", arrived["code"].as_str().unwrap())
        .await;
    browser.client.close_window().await.unwrap();
    browser.client.switch_to_window(board).await.unwrap();
    browser.assert_same_origin(&app.base).await;
    browser.close().await;
}

#[actix_web::test]
async fn the_trace_shows_the_whole_chain_of_a_traveller() {
    let world = World::new().await;
    let app = &world.app;
    let (traveller, _, _) = world.one_arrival("PVG", "CZ-TN-HM", "MU5001", "苏D·Z0001").await;
    world.confirm_all_to("CZ-TN").await;
    world.confirm_all_to("CZ-TN-HM").await;
    let t = world.traveller(&traveller).await;
    assert_eq!(t["status"], "received");
    let trace = app
        .get(
            &format!("/api/v1/travellers/{traveller}/trace"),
            &world.dispatcher,
        )
        .await
        .expect(200)
        .body;
    let steps = trace["chain"].as_array().unwrap().len();

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISTRICT_OFFICER).await;
    browser.open(&format!("{}/console/#/trace", app.base)).await;
    browser
        .type_into("#trace-q", t["document_no"].as_str().unwrap())
        .await;
    browser
        .find("#trace-q")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    browser.wait_for("#chain tbody tr").await;
    let rows = browser
        .client
        .find_all(fantoccini::Locator::Css("#chain tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), steps, "one row per step of the API's chain");
    let chain = browser.text("#chain").await;
    for words in [
        "Traveller registered",
        "Traveller boarded",
        "Traveller arrived at the city",
        "Traveller received",
        "苏D·Z0001",
        "cz.dispatcher",
        "Hongmei",
    ] {
        assert!(chain.contains(words), "the chain shows {words}: {chain}");
    }
    assert_eq!(
        browser.text("#trace-name").await,
        t["full_name"].as_str().unwrap()
    );
    browser.screenshot("trace").await;
    browser.close().await;
}

#[actix_web::test]
async fn the_language_switch_translates_the_page() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.open(&format!("{}/console/", app.base)).await;
    // The browser asks for English.
    browser.wait_for_text("#signin-submit", "Sign in").await;
    browser
        .find("#language")
        .await
        .select_by_value("zh")
        .await
        .unwrap();
    browser.wait_for_text("#signin-submit", "登录").await;
    // Signed in by keyboard alone: the username has the focus, Tab moves to the password, Enter
    // signs in.
    let focused = || async { browser.run("return document.activeElement?.name ?? null;").await };
    assert_eq!(focused().await, json!("username"));
    browser
        .find("#signin input[name=username]")
        .await
        .send_keys(&format!("{}\u{E004}", DISTRICT_OFFICER.0))
        .await
        .unwrap();
    assert_eq!(focused().await, json!("password"));
    browser
        .find("#signin input[name=password]")
        .await
        .send_keys(&format!("{}\u{E007}", DISTRICT_OFFICER.1))
        .await
        .unwrap();
    browser.wait_for("#whoami").await;
    browser.wait_for_text("#nav-dashboard", "态势总览").await;
    browser.wait_for_text("#whoami", "区级工作人员").await;
    // An officer's console opens on the desk; the dashboard is a click away.
    browser.wait_for("#view[data-screen=desk] #incoming").await;
    browser.click("#nav-dashboard").await;
    browser.wait_for_text("#stats", "待转运").await;
    browser
        .find("#language")
        .await
        .select_by_value("en")
        .await
        .unwrap();
    browser.wait_for_text("#nav-dashboard", "Dashboard").await;
    browser.wait_for_text("#stats", "Awaiting transfer").await;
    assert_eq!(
        browser.run("return document.documentElement.lang;").await,
        json!("en")
    );
    browser.close().await;
}

#[actix_web::test]
async fn an_admin_creates_a_user_and_verifies_the_audit_log() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start(Screen::Wall).await else {
        return;
    };
    browser.sign_in(&app.base, ADMIN).await;
    browser.open(&format!("{}/console/#/admin", app.base)).await;
    browser.wait_for("#users table").await;
    let form = "#users .grid-form";
    browser
        .type_into(&format!("{form} .field:nth-of-type(1) input"), "hm.officer2")
        .await;
    browser
        .type_into(
            &format!("{form} .field:nth-of-type(2) input"),
            "Second Hongmei Officer",
        )
        .await;
    browser
        .find(&format!("{form} .field:nth-of-type(3) select"))
        .await
        .select_by_value("community_officer")
        .await
        .unwrap();
    browser
        .find(&format!("{form} .field:nth-of-type(4) select"))
        .await
        .select_by_value(&app.unit("CZ-TN-HM"))
        .await
        .unwrap();
    browser
        .type_into(
            &format!("{form} .field:nth-of-type(5) input"),
            "a-long-enough-password",
        )
        .await;
    browser.click(&format!("{form} button[type=submit]")).await;
    browser
        .wait_for_text(&format!("{form} .message"), "hm.officer2")
        .await;
    let token = app.login(("hm.officer2", "a-long-enough-password")).await;
    let me = app.get("/api/v1/me", &token).await.expect(200).body;
    assert_eq!(me["role"], "community_officer");
    assert_eq!(me["unit_id"], app.unit("CZ-TN-HM").as_str());

    // The city's hotline, which notices and locked handoffs show.
    browser
        .type_into("#units tr[data-unit=CZ] input[type=tel]", "0519-88886666")
        .await;
    browser.click("#units tr[data-unit=CZ] button").await;
    browser
        .wait_for_text("#units tr[data-unit=CZ] .message", "Saved")
        .await;
    let admin = app.login(ADMIN).await;
    let city = app
        .get(&format!("/api/v1/units/{}", app.unit("CZ")), &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(city["hotline"], "0519-88886666");
    // Deactivating the viewer ends their access at once.
    let viewer = app.login(VIEWER).await;
    browser
        .click("#users tr[data-user='cz.viewer'] input[type=checkbox]")
        .await;
    browser.click("#users tr[data-user='cz.viewer'] button").await;
    browser
        .wait_for_text("#users tr[data-user='cz.viewer'] .message", "Saved")
        .await;
    app.get("/api/v1/stats/overview", &viewer).await.expect(401);
    app.login_response(VIEWER.0, VIEWER.1).await.expect(401);

    browser.click("#verify-audit").await;
    browser.wait_for_text("main", "Every chain holds").await;
    browser.screenshot("admin").await;
    browser.assert_same_origin(&app.base).await;
    browser.close().await;
}

#[actix_web::test]
async fn the_console_is_served_from_the_binary_with_versioned_files_and_a_strict_policy() {
    let app = spawn_app().await;
    // `/console` moves to `/console/` (the client follows).
    let moved = app.send("GET", "/console", None, None, &[]).await.expect(200);
    assert!(String::from_utf8_lossy(&moved.bytes).contains("/app.js"));
    let page = app.send("GET", "/console/", None, None, &[]).await.expect(200);
    assert_eq!(page.header("cache-control").as_deref(), Some("no-cache"));
    let policy = page.header("content-security-policy").expect("a policy");
    assert!(
        policy.contains("default-src 'self'") && policy.contains("script-src 'self';"),
        "{policy}"
    );
    assert!(
        !policy.contains("http"),
        "the policy names no other host: {policy}"
    );
    let html = String::from_utf8(page.bytes.to_vec()).unwrap();
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "no inline script or style"
    );
    let scripts: Vec<&str> = html
        .split("src=\"")
        .skip(1)
        .chain(html.split("href=\"").skip(1))
        .map(|rest| rest.split('"').next().unwrap())
        .collect();
    // Its script, its style, its icons, its manifest, and the first screen's modules announced at
    // once (preloaded), so that a slow network fetches them side by side.
    assert!(scripts.contains(&"/console/manifest.webmanifest"), "{scripts:?}");
    // The shell's and the desk's modules are preloaded; the other screens' load when they open.
    let preloaded = html.matches("rel=\"modulepreload\"").count();
    for first in ["app.js", "api.js", "i18n.js", "ui.js", "offline.js", "desk.js"] {
        assert!(
            scripts.iter().any(|s| s.ends_with(&format!("/{first}"))),
            "{first} is not preloaded: {scripts:?}"
        );
    }
    assert!(
        !scripts.iter().any(|s| s.ends_with("/board.js")),
        "a dispatcher's screen is preloaded: {scripts:?}"
    );
    assert_eq!(scripts.len(), preloaded + 5, "{scripts:?}");
    let manifest = app
        .send("GET", "/console/manifest.webmanifest", None, None, &[])
        .await
        .expect(200);
    assert_eq!(
        manifest.header("content-type").as_deref(),
        Some("application/manifest+json")
    );
    assert_eq!(manifest.body["start_url"], "/console/");
    assert_eq!(manifest.body["display"], "standalone");
    for icon in manifest.body["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        app.send("GET", src, None, None, &[]).await.expect(200);
    }
    let worker = app
        .send("GET", "/console/sw.js", None, None, &[])
        .await
        .expect(200);
    assert_eq!(worker.header("cache-control").as_deref(), Some("no-cache"));
    let worker = String::from_utf8(worker.bytes.to_vec()).unwrap();
    assert!(!worker.contains("{{"), "the worker names its version and files");
    for address in scripts.iter().filter(|a| a.starts_with("/console/assets/")) {
        assert!(worker.contains(address), "the worker keeps {address}");
    }
    for address in scripts
        .into_iter()
        .filter(|a| *a != "/console/manifest.webmanifest")
    {
        assert!(address.starts_with("/console/assets/"), "{address}");
        let file = app.send("GET", address, None, None, &[]).await.expect(200);
        assert_eq!(
            file.header("cache-control").as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        // Another version of the same file is not served: the address names the content.
        let stale = address.replacen("/assets/", "/assets/0", 1);
        app.send("GET", &stale, None, None, &[]).await.expect(404);
    }
    // The modules the page's script imports come from the same versioned folder.
    let version = html
        .split("/console/assets/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    for module in [
        "api.js",
        "i18n.js",
        "ui.js",
        "live.js",
        "dashboard.js",
        "desk.js",
        "board.js",
        "trace.js",
        "admin.js",
    ] {
        let file = app
            .send(
                "GET",
                &format!("/console/assets/{version}/{module}"),
                None,
                None,
                &[],
            )
            .await
            .expect(200);
        assert!(file
            .header("content-type")
            .unwrap()
            .starts_with("text/javascript"));
    }
}

/// The demo day in motion, screen by screen, as each of its users sees it: what the README shows.
#[actix_web::test]
async fn a_tour_of_every_screen_on_the_demo_day() {
    let app = spawn_app_with(|s| s.demo.motion = true).await;

    // The viewer's wall screen: numbers only, the overdue district highlighted.
    let Some(wall) = Browser::start(Screen::Wall).await else {
        return;
    };
    wall.sign_in(&app.base, VIEWER).await;
    wait_for_card(&wall, "overdue", 1, Duration::from_secs(10)).await;
    wall.wait_for("#districts tr.overdue").await;
    assert!(wall.text("#districts tr.overdue").await.contains("Tianning"));
    wall.assert_labelled("the dashboard").await;
    wall.screenshot("tour-dashboard-wall").await;
    wall.close().await;

    // The district officer's phone: the overdue handoff first, the code to read out below.
    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    phone.sign_in(&app.base, DISTRICT_OFFICER).await;
    phone.open(&format!("{}/console/#/desk", app.base)).await;
    let first = phone.wait_for("#incoming article").await;
    assert!(first
        .attr("class")
        .await
        .unwrap()
        .unwrap_or_default()
        .contains("overdue"));
    phone.wait_for("#outgoing .handoff-code").await;
    phone.assert_labelled("the desk").await;
    phone.screenshot("tour-desk-phone").await;
    phone.close().await;

    // The dispatcher's board: people waiting at two ports, a batch on the road.
    let Some(laptop) = Browser::start(Screen::Laptop).await else {
        return;
    };
    laptop.sign_in(&app.base, DISPATCHER).await;
    laptop.wait_for("#feed").await;
    laptop.screenshot("tour-dashboard").await;
    laptop.open(&format!("{}/console/#/board", app.base)).await;
    laptop.wait_for("table.waiting[data-port=SHA]").await;
    assert!(laptop.exists("table.waiting[data-port=PVG]").await);
    laptop.wait_for("#batches article[data-status=in_transit]").await;
    laptop.assert_labelled("the board").await;
    laptop.screenshot("tour-board").await;
    laptop.open(&format!("{}/console/#/trace", app.base)).await;
    laptop.type_into("#trace-q", "E10293847").await;
    laptop.find("#trace-q").await.send_keys("\u{E007}").await.unwrap();
    laptop.wait_for_text("#chain", "Traveller received").await;
    laptop.assert_labelled("the trace").await;
    laptop.screenshot("tour-trace").await;
    laptop.assert_same_origin(&app.base).await;
    laptop.close().await;

    let Some(admin) = Browser::start(Screen::Laptop).await else {
        return;
    };
    admin.sign_in(&app.base, ADMIN).await;
    admin.open(&format!("{}/console/#/admin", app.base)).await;
    admin.wait_for("#users table").await;
    admin.assert_labelled("administration").await;
    admin.screenshot("tour-admin").await;
    admin.open(&format!("{}/console/#/account", app.base)).await;
    admin.wait_for("main form").await;
    admin.assert_labelled("the password screen").await;
    admin.close().await;
}

/// A port where more people wait than the board lists: the board says so rather than leaving
/// anyone out unseen, and a district or a search brings every one of them into view.
#[actix_web::test]
async fn the_board_says_when_more_wait_than_it_lists_and_narrows_to_find_them() {
    let world = World::new().await;
    let app = &world.app;
    // 520 people at Pudong from one manifest: 510 for Tianning, the last 10 for Zhonglou.
    let mut manifest = String::from(
        "full_name,document_type,document_no,nationality,flight_no,port_code,arrived_at,destination_community_code\n",
    );
    for i in 0..520 {
        let community = if i < 510 { "CZ-TN-HM" } else { "CZ-ZL-NY" };
        manifest.push_str(&format!(
            "Traveller {i:03},passport,EB{i:06},GBR,MU5001,PVG,2020-03-07 17:30,{community}\n"
        ));
    }
    let imported = app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&world.dispatcher),
            "text/csv",
            manifest.into_bytes(),
        )
        .await
        .expect(201);
    assert_eq!(imported.body["created"], 520);
    let elsewhere = world.register("SHA", "CZ-WJ-HL", "MU5002").await;

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    let caption = browser
        .wait_for_text("table.waiting[data-port=PVG] caption", "more waiting")
        .await;
    assert!(caption.contains("first 500"), "{caption}");
    let rows = "table.waiting[data-port=PVG] input[data-traveller]";
    let listed = browser
        .client
        .find_all(fantoccini::Locator::Css(rows))
        .await
        .unwrap();
    assert_eq!(listed.len(), 500);
    let note = browser.text("p[data-more=PVG]").await;
    assert!(note.contains("the first 500"), "{note}");
    // The quiet port is listed in full beside it, without a note.
    assert!(
        browser
            .exists(&format!("input[data-traveller='{elsewhere}']"))
            .await
    );
    assert!(!browser.exists("p[data-more=SHA]").await);
    browser.screenshot("board-crowded").await;

    // The ten for Zhonglou: all of them, and no note; everyone shown picked at once.
    browser
        .find("#waiting-district")
        .await
        .select_by_value(&app.unit("CZ-ZL"))
        .await
        .unwrap();
    browser
        .wait_for_text("table.waiting[data-port=PVG] caption", "(10)")
        .await;
    assert!(!browser.exists("p[data-more=PVG]").await);
    assert!(
        !browser
            .exists(&format!("input[data-traveller='{elsewhere}']"))
            .await
    );
    browser.click("input[data-pick-all=PVG]").await;
    browser.wait_for_text("#picked", "Travellers picked: 10").await;

    // One of those past the first 500, found by a search in every district.
    browser
        .find("#waiting-district")
        .await
        .select_by_value("")
        .await
        .unwrap();
    browser.type_into("#waiting-q", "EB000515").await;
    browser
        .wait_for_text("table.waiting[data-port=PVG] caption", "(1)")
        .await;
    let found = browser.text("table.waiting[data-port=PVG] tbody").await;
    assert!(found.contains("Traveller 515"), "{found}");
    browser.type_into("#waiting-q", "EB999999").await;
    browser.wait_for_text("#waiting", "Nobody waiting matches").await;
    browser.assert_labelled("the board").await;
    browser.close().await;
}

/// A large city has thousands of communities: the board names every traveller's destination,
/// even one past the first 2,000 units the console reads.
#[actix_web::test]
async fn the_board_names_destinations_in_a_city_of_thousands_of_communities() {
    let world = World::new().await;
    let app = &world.app;
    // 2,100 more communities of Tianning, the organisation as a migration would load it, with
    // ids that list after every demo unit.
    let rows: Vec<String> = (1..=2100)
        .map(|n| format!("('ff000000-0000-7000-8000-{n:012}', 'Community {n:04}', 'CZ-TN-X{n:04}')"))
        .collect();
    let id = if app.settings.database.url.starts_with("postgres") {
        "CAST(v.column1 AS uuid)"
    } else {
        "v.column1"
    };
    let mut conn = app.connection();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!(
            "INSERT INTO units (id, name, code, level, parent_id, city_id, district_id, created_at) \
             SELECT {id}, v.column2, v.column3, u.level, u.parent_id, u.city_id, u.district_id, u.created_at \
             FROM units u, (VALUES {}) AS v WHERE u.code = 'CZ-TN-HM'",
            rows.join(", ")
        )),
        &mut conn,
    )
    .unwrap();
    let mut body = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    body["destination_community_id"] = json!("ff000000-0000-7000-8000-000000002100");
    app.post("/api/v1/travellers", &world.dispatcher, body)
        .await
        .expect(201);

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser
        .wait_for_text("table.waiting[data-port=PVG]", "Community 2100")
        .await;
    browser.close().await;
}

#[actix_web::test]
async fn two_tabs_stay_signed_in_while_their_tokens_rotate_one_refresh_at_a_time() {
    // Access tokens of 32 s: the console renews them once less than 30 s remain, so every
    // request after the first two seconds renews, from both tabs at once.
    let world = World::with(|s| s.auth.access_ttl_secs = 32).await;
    let app = &world.app;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.wait_for("#stat-awaiting").await;
    let first = browser.client.window().await.unwrap();
    let second = browser.client.new_window(true).await.unwrap().handle;
    browser.client.switch_to_window(second.clone()).await.unwrap();
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.wait_for("#waiting").await;
    let tokens_before = app.count_rows("refresh_tokens");
    // Each registration reaches both tabs through the feed, and each tab reloads its figures.
    for _ in 0..16 {
        world.register("PVG", "CZ-TN-HM", "MU5001").await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    let rotations = app.count_rows("refresh_tokens") - tokens_before;
    assert!(
        rotations >= 3,
        "the tokens were renewed while the tabs worked ({rotations})"
    );
    let events = app
        .get("/api/v1/events?limit=500", &world.admin)
        .await
        .expect(200)
        .body;
    assert!(
        !events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "auth.refresh_token_reused"),
        "no refresh token was presented twice"
    );
    for tab in [second, first] {
        browser.client.switch_to_window(tab).await.unwrap();
        assert!(browser.exists("#whoami").await, "still signed in");
        let stored = browser
            .run("return localStorage.getItem('inbound-transfer.session');")
            .await;
        assert!(stored.is_string(), "the session is kept");
    }
    // The board shows the new people: its requests still go through.
    browser
        .client
        .switch_to_window(browser.client.windows().await.unwrap()[1].clone())
        .await
        .unwrap();
    browser
        .wait_for_text("table.waiting[data-port=PVG] caption", "(16)")
        .await;
    browser.close().await;
}

#[actix_web::test]
async fn every_post_of_the_console_carries_an_idempotency_key() {
    let world = World::new().await;
    let app = &world.app;
    let waiting = world.register("SHA", "CZ-ZL-XC", "FM9102").await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    let batch = batch_on_board(&browser, &[&waiting], world.port("SHA"), None, ("Li Na", "")).await;
    // Made without a vehicle: assign one on the card.
    browser
        .click(&format!(
            "#batches article[data-batch='{batch}'] button[data-action='board.assign']"
        ))
        .await;
    browser
        .wait_for(&format!(
            "#batches article[data-batch='{batch}'] button[data-action='board.record_boarding']"
        ))
        .await;
    // The batch and the vehicle: each POST stored its answer under its own key.
    let me = app.get("/api/v1/me", &world.dispatcher).await.expect(200).body;
    let mut conn = app.connection();
    use diesel::prelude::*;
    use inbound_transfer::schema::idempotency_keys as keys;
    let stored: Vec<String> = keys::table
        .filter(keys::user_id.eq(inbound_transfer::db::types::Id(
            me["id"].as_str().unwrap().parse().unwrap(),
        )))
        .select(keys::key)
        .load(&mut conn)
        .unwrap();
    assert!(
        stored.len() >= 2,
        "the batch and the vehicle were sent with keys: {stored:?}"
    );
    let distinct: std::collections::BTreeSet<&String> = stored.iter().collect();
    assert_eq!(distinct.len(), stored.len(), "a key per action");
    browser.close().await;
}

#[actix_web::test]
async fn a_user_changes_their_password_and_signs_in_again() {
    let app = spawn_app().await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, COMMUNITY_OFFICER).await;
    browser.click("#nav-account").await;
    let form = "main form";
    browser.wait_for(form).await;
    let inputs = browser
        .client
        .find_all(fantoccini::Locator::Css("main form input"))
        .await
        .unwrap();
    inputs[0].send_keys(COMMUNITY_OFFICER.1).await.unwrap();
    inputs[1].send_keys("a-brand-new-passphrase").await.unwrap();
    inputs[2].send_keys("a-brand-new-passphrase").await.unwrap();
    browser.click("main form button[type=submit]").await;
    // Every session ends, this one too: back to the sign-in form.
    browser.wait_for("#signin").await;
    app.login_response(COMMUNITY_OFFICER.0, COMMUNITY_OFFICER.1)
        .await
        .expect(401);
    browser
        .sign_in(&app.base, (COMMUNITY_OFFICER.0, "a-brand-new-passphrase"))
        .await;
    browser
        .wait_for_text("#whoami", "Hongmei Community Officer")
        .await;
    browser.close().await;
}

#[actix_web::test]
async fn a_manifest_with_bad_rows_shows_them_beside_their_row_numbers_and_writes_nothing() {
    let world = World::new().await;
    let app = &world.app;
    let dir = std::env::temp_dir().join(format!("manifest-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let header =
        "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code";
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        format!("{header}\nWang Fang,passport,E90000001,CHN,PVG,2020-03-07 08:30,CZ-TN-HM\nJohn Smith,passport,E90000002,XXXX,PVG,2020-03-07 08:30,CZ-TN-HM\n"),
    )
    .unwrap();
    let good = dir.join("good.csv");
    std::fs::write(
        &good,
        format!("{header}\nWang Fang,passport,E90000001,CHN,PVG,2020-03-07 08:30,CZ-TN-HM\nJohn Smith,passport,E90000002,GBR,PVG,2020-03-07 08:30,CZ-TN-HM\n"),
    )
    .unwrap();
    let before = app.count_rows("travellers");

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.wait_for("#manifest-file").await;
    browser
        .find("#manifest-file")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("#manifest-file ~ button, form:has(#manifest-file) button[type=submit]")
        .await;
    let errors = browser.wait_for_text("#import-errors table", "Nationality").await;
    assert!(
        errors.contains('3'),
        "the problem is on spreadsheet row 3: {errors}"
    );
    assert_eq!(app.count_rows("travellers"), before, "nothing was written");

    browser
        .find("#manifest-file")
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form:has(#manifest-file) button[type=submit]")
        .await;
    browser.wait_for_text("main", "2 travellers registered").await;
    assert_eq!(app.count_rows("travellers"), before + 2);
    browser
        .wait_for_text("table.waiting[data-port=PVG]", "John Smith")
        .await;
    // In Chinese, the columns and the service's rules read in Chinese.
    browser
        .find("#language")
        .await
        .select_by_value("zh")
        .await
        .unwrap();
    browser.wait_for_text("main h1", "调度台").await;
    browser
        .find("#manifest-file")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form:has(#manifest-file) button[type=submit]")
        .await;
    let errors = browser.wait_for_text("#import-errors table", "国籍").await;
    assert!(
        errors.contains("ISO 代码（CHN、CN）或名称（中国、China）"),
        "{errors}"
    );
    assert!(errors.contains("已有尚未闭环的转运"), "{errors}");
    let _ = std::fs::remove_dir_all(dir);
    browser.close().await;
}

/// The airport's own workbook on the board, in the Chinese console: thirty rows with a document type
/// the service does not know on every row, one unreadable time and one missing document number
/// answer three problems, the repeated one naming its rows as a range; the corrected file imports
/// whole and says which columns it left out.
#[actix_web::test]
async fn an_airport_workbook_on_the_board_shows_its_problems_grouped_then_imports() {
    use crate::manifests::{airport_rows, airport_xlsx};
    let world = World::new().await;
    let app = &world.app;
    let dir = std::env::temp_dir().join(format!("manifest-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let template = airport_rows("R").remove(0);
    let bad_rows: Vec<[String; 13]> = (1..=30)
        .map(|n| {
            let mut row = template.clone();
            row[0] = n.to_string();
            row[3] = "船员证".into();
            row[4] = format!("R{n:06}");
            if n == 6 {
                row[9] = "明天上午".into();
            }
            if n == 11 {
                row[4] = String::new();
            }
            row
        })
        .collect();
    let bad = dir.join("航班MU5001旅客名单.xlsx");
    std::fs::write(&bad, airport_xlsx(&bad_rows)).unwrap();
    let good = dir.join("航班MU5001旅客名单-修改.xlsx");
    std::fs::write(&good, airport_xlsx(&airport_rows("R"))).unwrap();
    let before = app.count_rows("travellers");

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser
        .run("localStorage.setItem('inbound-transfer.lang', 'zh'); return 1;")
        .await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.run("location.reload(); return 1;").await;
    browser.wait_for_text("main h1", "调度台").await;
    browser
        .find("#manifest-file")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form:has(#manifest-file) button[type=submit]")
        .await;
    browser.wait_for("#import-errors table").await;
    browser
        .wait_for_text("#view .message.error", "共 32 处问题")
        .await;
    let rows = browser
        .run("return [...document.querySelectorAll('#import-errors tbody tr')].map(r => r.innerText);")
        .await;
    let rows: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(
        rows.iter().any(|r| r.contains("2–31")
            && r.contains("共 30 行")
            && r.contains("须为证件类型：护照、身份证、港澳通行证、台胞证或其他")),
        "the repeated problem is one line naming its rows: {rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.starts_with('7') && r.contains("入境时间")),
        "{rows:?}"
    );
    assert!(
        rows.iter().any(|r| r.starts_with("12") && r.contains("证件号码")),
        "{rows:?}"
    );
    let text = browser.text("#import-errors").await;
    assert!(!text.contains("must") && !text.contains("null"), "{text}");
    assert_eq!(app.count_rows("travellers"), before, "nothing was written");
    browser.screenshot("board-import-problems").await;

    browser
        .find("#manifest-file")
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    browser
        .click("form:has(#manifest-file) button[type=submit]")
        .await;
    browser.wait_for_text("#view .message.ok", "已登记 5 人").await;
    let ignored = browser.text("#import-ignored").await;
    assert!(ignored.contains("序号、性别、座位号、Name"), "{ignored}");
    assert_eq!(app.count_rows("travellers"), before + 5);
    browser
        .wait_for_text("table.waiting[data-port=PVG]", "佐藤花子")
        .await;
    browser.screenshot("board-import").await;
    let _ = std::fs::remove_dir_all(dir);
    browser.close().await;
}

/// The problems people meet at work, asked for in Chinese as the console asks, read in Chinese in
/// the console: no English left but codes, plates and ids. The console itself asks in its language.
#[actix_web::test]
async fn the_services_problems_read_in_chinese_in_the_chinese_console() {
    let world = World::new().await;
    let app = &world.app;
    let a = world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let b = world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let crew = World::crew();
    let batch = app
        .post(
            "/api/v1/batches",
            &world.dispatcher,
            json!({"port_id": world.port("PVG"), "traveller_ids": [a], "crew": crew}),
        )
        .await
        .expect(201)
        .id();
    let one_seat = world.new_vehicle("苏D·Z1111", 1).await;
    let mut again = world.traveller_body("PVG", "CZ-TN-HM", "MU5001");
    again["document_no"] = world.traveller(&b).await["document_no"].clone();
    let problems: Vec<Value> = vec![
        zh_post(
            app,
            &format!("/api/v1/batches/{batch}/boarding"),
            &world.dispatcher,
            json!({"boarded": [a], "no_show": []}),
        )
        .await
        .expect(409),
        zh_post(
            app,
            &format!("/api/v1/batches/{batch}/vehicle"),
            &world.dispatcher,
            json!({"vehicle_id": one_seat}),
        )
        .await
        .expect_problem(409, "capacity_exceeded"),
        zh_post(
            app,
            "/api/v1/batches",
            &world.dispatcher,
            json!({"port_id": world.port("PVG"), "traveller_ids": [a], "crew": crew}),
        )
        .await
        .expect(409),
        zh_post(
            app,
            "/api/v1/batches",
            &world.dispatcher,
            json!({"port_id": world.port("SHA"), "traveller_ids": [b], "crew": crew}),
        )
        .await
        .expect(422),
        zh_post(
            app,
            &format!("/api/v1/travellers/{b}/exception"),
            world.officer("CZ-TN"),
            json!({"kind": "hospitalised", "reason": "fever"}),
        )
        .await
        .expect(409),
        zh_post(
            app,
            "/api/v1/vehicles",
            &world.dispatcher,
            json!({"plate": "苏D·Z1111", "kind": "bus", "seats": 9, "unit_id": app.unit("CZ")}),
        )
        .await
        .expect(409),
        zh_post(app, "/api/v1/travellers", &world.dispatcher, again)
            .await
            .expect(409),
        zh_post(
            app,
            "/api/v1/units",
            &world.admin,
            json!({"code": "CZ-TN", "name": "Again", "level": "district", "parent_id": app.unit("CZ")}),
        )
        .await
        .expect(409),
    ]
    .into_iter()
    .map(|r| r.body)
    .collect();

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser
        .find("#language")
        .await
        .select_by_value("zh")
        .await
        .unwrap();
    browser.wait_for_text("nav", "调度台").await;
    let read = browser
        .client
        .execute_async(
            "const [problems, done] = arguments;
             const base = document.querySelector('script[type=module]').src.replace(/app\\.js$/, '');
             import(base + 'i18n.js').then((m) => done(problems.map((p) => m.problemText(p))), (e) => done(String(e)));",
            vec![json!(problems)],
        )
        .await
        .unwrap();
    let read: Vec<String> = serde_json::from_value(read).unwrap();
    assert_eq!(read.len(), problems.len());
    for (problem, text) in problems.iter().zip(&read) {
        // Ids stay as they are; any other run of three Latin letters is English left over.
        let rest = [&a, &b, &batch, &one_seat]
            .iter()
            .fold(text.clone(), |t, id| t.replace(id.as_str(), ""));
        let english = rest
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word.len() >= 3);
        let chinese = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        assert!(
            !english && chinese,
            "{} reads {text:?} in Chinese",
            problem["detail"]
        );
    }
    assert!(read[1].contains("苏D·Z1111"), "{}", read[1]);
    // The console's own requests ask for its language.
    let asked = browser
        .client
        .execute_async(
            "const [path, done] = arguments;
             const base = document.querySelector('script[type=module]').src.replace(/app\\.js$/, '');
             import(base + 'api.js').then((m) => m.api('GET', path)).then(() => done('answered'), (p) => done(p.detail));",
            vec![json!(format!("/batches/{}", uuid::Uuid::new_v4()))],
        )
        .await
        .unwrap();
    assert_eq!(asked, json!("找不到该批次"));
    browser.close().await;
}

async fn zh_post(
    app: &crate::helpers::TestApp,
    path: &str,
    token: &str,
    body: Value,
) -> crate::helpers::Response {
    app.send(
        "POST",
        path,
        Some(token),
        Some(&body),
        &[("accept-language", "zh")],
    )
    .await
}

#[actix_web::test]
async fn an_officer_downloads_the_roster_and_the_download_is_recorded() {
    let world = World::new().await;
    let app = &world.app;
    world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISTRICT_OFFICER).await;
    // An officer's console opens on the desk; the roster is on the dashboard.
    assert_eq!(
        browser
            .run("return document.querySelector('#view').dataset.screen;")
            .await,
        json!("desk")
    );
    browser.open(&format!("{}/console/#/dashboard", app.base)).await;
    browser.wait_for("#roster").await;
    browser
        .find("#roster-format")
        .await
        .select_by_value("csv")
        .await
        .unwrap();
    browser.click("#roster button[type=submit]").await;
    browser.wait_for_text("#roster .message", "Downloaded").await;
    let events = app
        .get("/api/v1/events?limit=500", &world.admin)
        .await
        .expect(200)
        .body;
    let exported: Vec<&Value> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "report.exported")
        .collect();
    assert_eq!(exported.len(), 1, "the download is recorded");
    assert_eq!(exported[0]["data"]["format"], "csv");
    browser.close().await;
}

#[actix_web::test]
async fn the_dashboard_says_when_the_service_cannot_be_reached_and_recovers_by_itself() {
    let world = World::new().await;
    let app = &world.app;
    world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let cable = Relay::to_service(&app.base);
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&cable.base(), VIEWER).await;
    wait_for_card(&browser, "awaiting", 1, Duration::from_secs(5)).await;
    assert_eq!(
        browser
            .run("return document.getElementById('offline').hidden;")
            .await,
        json!(true)
    );

    cable.set(DOWN);
    browser
        .eventually(Duration::from_secs(10), "the banner shows", || async {
            (browser
                .run("return document.getElementById('offline').hidden;")
                .await
                == json!(false))
            .then_some(())
        })
        .await;
    assert!(browser.text("#offline").await.contains("cannot be reached"));
    // The last figures stay on the screen meanwhile.
    assert_eq!(card(&browser, "awaiting").await, 1);
    browser.screenshot("dashboard-offline").await;

    world.register("PVG", "CZ-TN-QL", "MU5001").await;
    cable.set(UP);
    wait_for_card(&browser, "awaiting", 2, Duration::from_secs(15)).await;
    browser
        .eventually(Duration::from_secs(5), "the banner goes", || async {
            (browser
                .run("return document.getElementById('offline').hidden;")
                .await
                == json!(true))
            .then_some(())
        })
        .await;
    browser.close().await;
}

#[actix_web::test]
async fn a_community_officer_rejects_a_handoff_with_a_reason_and_a_dispatcher_takes_the_template() {
    let world = World::new().await;
    let app = &world.app;
    world.one_arrival("PVG", "CZ-TN-HM", "MU5001", "苏D·Z0001").await;
    world.confirm_all_to("CZ-TN").await;
    let handoff = world.pending_to("CZ-TN-HM").await.remove(0);
    let id = handoff["id"].as_str().unwrap().to_owned();

    let Some(browser) = Browser::start(Screen::Phone).await else {
        return;
    };
    browser.sign_in(&app.base, COMMUNITY_OFFICER).await;
    browser.open(&format!("{}/console/#/desk", app.base)).await;
    let card = format!("#incoming article[data-handoff='{id}']");
    browser.wait_for(&card).await;
    browser.click(&format!("{card} details summary")).await;
    browser
        .type_into(
            &format!("{card} input[name=reason]"),
            "Wrong community: the family lives in Qinglong",
        )
        .await;
    browser
        .click(&format!("{card} form.reject button[type=submit]"))
        .await;
    browser.wait_for_text("#desk-message", "Rejected").await;
    let rejected = app
        .get(&format!("/api/v1/handoffs/{id}"), world.officer("CZ-TN-HM"))
        .await
        .expect(200)
        .body;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(
        rejected["reason"],
        "Wrong community: the family lives in Qinglong"
    );
    browser.wait_for_text("#incoming", "No handoff is waiting").await;
    browser.close().await;

    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.click("button[data-template='xlsx-zh']").await;
    browser
        .wait_for_text("main", "Downloaded manifest-template")
        .await;
    browser.close().await;
}

/// The board follows the live feed panel by panel: a registration elsewhere shows up in the
/// waiting list at once, and reloads neither the batches nor the vehicles; a disinfection reloads
/// the vehicles, not the waiting lists; nothing is read again on a timer.
#[actix_web::test]
async fn the_board_reloads_only_the_panels_an_event_concerns() {
    let world = World::new().await;
    let app = &world.app;
    world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let Some(browser) = Browser::start(Screen::Laptop).await else {
        return;
    };
    browser.sign_in(&app.base, DISPATCHER).await;
    browser.open(&format!("{}/console/#/board", app.base)).await;
    browser.wait_for("table.waiting[data-port=PVG]").await;
    browser.wait_for("#vehicles table").await;
    browser
        .run("window.before_registration = performance.now(); return null;")
        .await;
    let mut late = world.traveller_body("SHA", "CZ-WJ-HL", "MU5002");
    late["full_name"] = json!("Late Arrival");
    app.post("/api/v1/travellers", &world.dispatcher, late)
        .await
        .expect(201);
    browser
        .wait_for_text("table.waiting[data-port=SHA]", "Late Arrival")
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = panel_reads(&browser, "before_registration").await;
    assert!(after["travellers"].as_u64().unwrap() >= 1, "{after}");
    assert_eq!(after["batches"], 0, "{after}");
    assert_eq!(after["vehicles"], 0, "{after}");

    // A vehicle's change reloads the vehicles (and the batches that offer them), not who waits.
    browser
        .run("window.before_vehicle = performance.now(); return null;")
        .await;
    let bus = world.vehicle("苏D·Z0004").await;
    app.patch(
        &format!("/api/v1/vehicles/{bus}"),
        &world.dispatcher,
        json!({"out_of_service": true}),
    )
    .await
    .expect(200);
    browser.wait_for_text("#vehicles", "out of service").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let after = panel_reads(&browser, "before_vehicle").await;
    assert!(after["vehicles"].as_u64().unwrap() >= 1, "{after}");
    assert_eq!(after["travellers"], 0, "{after}");

    // Quiet for longer than the old 15-second poll: nothing is read.
    browser
        .run("window.quiet = performance.now(); return null;")
        .await;
    tokio::time::sleep(Duration::from_secs(16)).await;
    let after = panel_reads(&browser, "quiet").await;
    assert_eq!(after, json!({"travellers": 0, "batches": 0, "vehicles": 0}));
    browser.close().await;
}

/// The requests the page has made to each list of the board since `window[mark]`.
async fn panel_reads(browser: &Browser, mark: &str) -> Value {
    let script = format!(
        "const since = window.{mark} || 0;
         const paths = performance.getEntriesByType('resource')
           .filter((e) => e.startTime > since && e.name.includes('/api/v1/'))
           .map((e) => new URL(e.name).pathname);
         return {{
           travellers: paths.filter((p) => p === '/api/v1/travellers').length,
           batches: paths.filter((p) => p === '/api/v1/batches').length,
           vehicles: paths.filter((p) => p === '/api/v1/vehicles').length,
         }};"
    );
    browser.run(&script).await
}
