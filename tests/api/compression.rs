//! Fast on a poor network: the console's files and the API's JSON go out compressed to a client
//! that accepts gzip, and read back the same; the event stream and workbooks are sent as they are.

use std::io::Read;

use crate::world::World;

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

#[actix_web::test]
async fn files_and_json_are_compressed_for_a_client_that_accepts_gzip() {
    let w = World::new().await;
    let gzip = [("Accept-Encoding", "gzip")];
    let script = format!(
        "/console/assets/{}/app.js",
        inbound_transfer::http::console::Console::new(&w.app.settings.console).version()
    );
    let plain = w.app.send("GET", &script, None, None, &[]).await.expect(200);
    assert_eq!(plain.header("content-encoding"), None);
    let packed = w.app.send("GET", &script, None, None, &gzip).await.expect(200);
    assert_eq!(packed.header("content-encoding").as_deref(), Some("gzip"));
    assert!(
        packed.bytes.len() * 4 < plain.bytes.len() * 3,
        "{} of {}",
        packed.bytes.len(),
        plain.bytes.len()
    );
    assert_eq!(gunzip(&packed.bytes), plain.bytes.to_vec());

    // The API's JSON too, and personal data stays out of every cache.
    let plain = w
        .app
        .get("/api/v1/travellers?limit=50", &w.dispatcher)
        .await
        .expect(200);
    let packed = w
        .app
        .send(
            "GET",
            "/api/v1/travellers?limit=50",
            Some(&w.dispatcher),
            None,
            &gzip,
        )
        .await
        .expect(200);
    assert_eq!(packed.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(packed.header("cache-control").as_deref(), Some("no-store"));
    let read: serde_json::Value = serde_json::from_slice(&gunzip(&packed.bytes)).unwrap();
    assert_eq!(read, plain.body);

    // A problem too, whole: every layer reads it before it is compressed.
    let missing = w
        .app
        .send(
            "GET",
            &format!("/api/v1/batches/{}", uuid::Uuid::new_v4()),
            Some(&w.dispatcher),
            None,
            &[("Accept-Encoding", "gzip"), ("Accept-Language", "zh")],
        )
        .await;
    assert_eq!(missing.status, 404);
    let body = match missing.header("content-encoding").as_deref() {
        Some("gzip") => gunzip(&missing.bytes),
        _ => missing.bytes.to_vec(),
    };
    let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["code"], "not_found");
    assert_eq!(problem["detail"], "找不到该批次");

    // A workbook is a zip already.
    let roster = w
        .app
        .send(
            "GET",
            "/api/v1/reports/roster?format=xlsx",
            Some(&w.dispatcher),
            None,
            &gzip,
        )
        .await
        .expect(200);
    assert_ne!(roster.header("content-encoding").as_deref(), Some("gzip"));
    assert_eq!(&roster.bytes[..2], b"PK");

    // The event stream: each event as it happens, never held back by a compressor.
    let res = w
        .app
        .client
        .get(w.app.url("/api/v1/events/stream"))
        .bearer_auth(&w.dispatcher)
        .insert_header(("Accept-Encoding", "gzip"))
        .send()
        .await
        .expect("the stream opens");
    assert_eq!(res.status().as_u16(), 200);
    let encoding = res
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_ne!(encoding.as_deref(), Some("gzip"));
}
