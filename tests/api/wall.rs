//! The wall in a real browser: the viewer's dashboard and `#/wall` fit one 1920×1080 screen in
//! both languages, today's flows drawn by hour; a district officer re-hands a missing person on
//! their phone and the wall's counts follow without a reload.

use std::time::Duration;

use serde_json::{json, Value};

use crate::browser::{Browser, Screen};
use crate::helpers::*;
use crate::world::World;

/// A card's figure on the screen, or -1 while it is not drawn.
async fn figure(browser: &Browser, card: &str) -> i64 {
    browser
        .run(&format!(
            "const c = document.querySelector('#stat-{card}'); return c ? Number(c.dataset.value) : -1;"
        ))
        .await
        .as_i64()
        .unwrap()
}

async fn wait_figure(browser: &Browser, card: &str, value: i64) {
    browser
        .eventually(
            Duration::from_secs(10),
            &format!("{card} shows {value}"),
            || async { (figure(browser, card).await == value).then_some(()) },
        )
        .await;
}

/// How far the page reaches past the viewport, across and down.
async fn overflow(browser: &Browser) -> Value {
    browser
        .run(
            "const d = document.documentElement; \
             return [d.scrollWidth - innerWidth, d.scrollHeight - innerHeight];",
        )
        .await
}

/// Labels under a chart's axis that overlap their neighbour.
async fn overlapping_ticks(browser: &Browser, chart: &str) -> Value {
    browser
        .run(&format!(
            "const r = [...document.querySelectorAll('{chart} svg text')].filter(t => t.getAttribute('text-anchor') === 'middle').map(t => t.getBoundingClientRect()); \
             return r.slice(1).filter((b, i) => b.left < r[i].right + 2).length;"
        ))
        .await
}

#[actix_web::test]
async fn the_wall_fits_one_screen_in_both_languages_with_today_by_hour() {
    let w = World::new().await;
    // A day under way: people at two ports, a batch handed to three districts, one overdue.
    let mut people = Vec::new();
    for (n, community) in ["CZ-TN-HM", "CZ-TN-QL", "CZ-ZL-XC", "CZ-WJ-HL"]
        .iter()
        .enumerate()
    {
        people.push(w.register("PVG", community, &format!("WL00{n}")).await);
    }
    w.register("SHA", "CZ-TN-HM", "WL100").await;
    let bus = w.new_vehicle("苏D·WL001", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    w.confirm_all_to("CZ-TN").await;
    let hourly = w
        .app
        .get("/api/v1/stats/hourly", &w.viewer)
        .await
        .expect(200)
        .body;
    let registered: i64 = hourly["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["registered"].as_i64().unwrap())
        .sum();
    assert_eq!(registered, 5);

    let Some(wall) = Browser::start(Screen::Wall).await else {
        return;
    };
    for (account, route) in [(VIEWER, "dashboard"), (DISPATCHER, "wall")] {
        wall.sign_in(&w.app.base, account).await;
        for lang in ["en", "zh"] {
            wall.run(&format!(
                "localStorage.setItem('inbound-transfer.lang', '{lang}'); return 1;"
            ))
            .await;
            wall.open(&format!("{}/console/#/{route}", w.app.base)).await;
            wall.run("location.reload(); return 1;").await;
            wall.wait_for("main.wall #hourly svg").await;
            wait_figure(&wall, "received", 0).await;
            wall.wait_for("#districts tbody tr").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            wall.screenshot(&format!("wall-{}-{lang}", account.0)).await;
            assert_eq!(
                overflow(&wall).await,
                json!([0, 0]),
                "{} {route} {lang}: the wall fits 1920×1080",
                account.0
            );
            // Everything it shows is on the screen, the chart included.
            let below = wall
                .run(
                    "return ['#stats', '#districts', '#ports', '#hourly svg'].filter(css => { \
                       const r = document.querySelector(css).getBoundingClientRect(); \
                       return r.height === 0 || r.bottom > innerHeight || r.right > innerWidth; });",
                )
                .await;
            assert_eq!(below, json!([]), "{} {lang}: cut off or hidden", account.0);
            assert!(!wall.exists("main.wall input").await, "nothing to type on a wall");
            // No table scrolls sideways within its box.
            let sideways = wall
                .run("return [...document.querySelectorAll('main.wall .scroll')].filter(s => s.scrollWidth > s.clientWidth).length;")
                .await;
            assert_eq!(
                sideways,
                json!(0),
                "{} {lang}: a table scrolls sideways",
                account.0
            );
            // Today by hour: the hour's registrations are drawn, and 24 hours are listed for
            // screen readers.
            let rows = wall
                .run("return document.querySelectorAll('#hourly tbody tr').length;")
                .await;
            assert_eq!(rows, json!(24));
            let drawn = wall
                .run("return [...document.querySelectorAll('#hourly circle title')].map(t => t.textContent).join(' | ');")
                .await;
            let label = if lang == "en" {
                "Registered: 5"
            } else {
                "登记: 5"
            };
            assert!(drawn.as_str().unwrap().contains(label), "{drawn}");
            assert_eq!(overlapping_ticks(&wall, "#hourly").await, json!(0));
            let text = wall.run("return document.body.innerText;").await;
            let text = text.as_str().unwrap();
            assert!(!text.contains("null") && !text.contains("undefined"), "{text}");
        }
        assert_eq!(
            wall.exists("#nav-wall").await,
            account != VIEWER,
            "the menu offers the wall to those it is not the dashboard of"
        );
        wall.run("localStorage.clear(); return 1;").await;
    }

    // The dispatcher's dashboard keeps its period and chart by day: thirty days' labels do not
    // overlap.
    wall.sign_in(&w.app.base, DISPATCHER).await;
    wall.open(&format!("{}/console/#/dashboard", w.app.base)).await;
    wall.wait_for("#daily svg").await;
    let ticks = wall
        .run("return document.querySelectorAll('#daily svg text[text-anchor=middle]').length;")
        .await;
    assert!(ticks.as_i64().unwrap() >= 6, "{ticks}");
    assert_eq!(overlapping_ticks(&wall, "#daily").await, json!(0));
    wall.close().await;
}

#[actix_web::test]
async fn a_district_officer_hands_a_missing_person_again_and_the_wall_follows() {
    let w = World::new().await;
    // Two people for one community; the community confirms one: the other is missing, in the
    // district's custody.
    let people = [
        w.register("PVG", "CZ-TN-HM", "WL201").await,
        w.register("PVG", "CZ-TN-HM", "WL201").await,
    ];
    let bus = w.new_vehicle("苏D·WL201", 20).await;
    w.run_batch("PVG", &people, &bus, &[]).await;
    w.confirm_all_to("CZ-TN").await;
    let to_hm = w.pending_to("CZ-TN-HM").await.remove(0);
    w.confirm(&to_hm, "CZ-TN-HM", &[people[0].as_str()])
        .await
        .expect(200);
    let handoff = to_hm["id"].as_str().unwrap().to_owned();

    let Some(wall) = Browser::start(Screen::Wall).await else {
        return;
    };
    wall.sign_in(&w.app.base, VIEWER).await;
    wait_figure(&wall, "missing", 1).await;
    wait_figure(&wall, "loose", 1).await;
    let pending = figure(&wall, "pending").await;

    let Some(phone) = Browser::start(Screen::Phone).await else {
        return;
    };
    phone.sign_in(&w.app.base, DISTRICT_OFFICER).await;
    phone.open(&format!("{}/console/#/dashboard", w.app.base)).await;
    wait_figure(&phone, "missing", 1).await;
    phone.click("a#stat-loose").await;
    let card = format!("#loose-ends article[data-end='missing:{handoff}']");
    phone.wait_for(&card).await;
    let target = phone
        .run(&format!(
            "return document.querySelector(\"{card} select[name=to]\").value;"
        ))
        .await;
    assert_eq!(target, json!(w.app.unit("CZ-TN-HM")), "back to their community");
    phone.click(&format!("{card} button[data-action=hand]")).await;
    phone.click(&format!("{card} button[data-confirm=hand]")).await;
    phone
        .eventually(Duration::from_secs(10), "the end leaves the list", || async {
            (!phone.exists(&card).await).then_some(())
        })
        .await;
    phone.screenshot("loose-ends-district-phone").await;
    let person = w.traveller(&people[1]).await;
    assert!(person["handoff_id"].is_string(), "handed again: {person}");

    // The wall follows without a reload, and so does the officer's dashboard.
    wait_figure(&wall, "missing", 0).await;
    wait_figure(&wall, "loose", 0).await;
    wait_figure(&wall, "pending", pending + 1).await;
    phone.click("#nav-dashboard").await;
    wait_figure(&phone, "missing", 0).await;
    wait_figure(&phone, "loose", 0).await;
    phone.close().await;
    wall.close().await;
}
