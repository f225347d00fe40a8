//! `inbound-transfer bench-hostile`: the hostile workbooks an attack run sent, through the API on
//! each database asked for. For each file: the answer, how long it took, how much the process's
//! resident set grew while it was read (sampled every 2 ms; the client is in the same process and
//! its file is made before the sampling starts), and how long a login started during the import
//! waited. Then three of the largest at once, beyond `import.max_concurrent`.

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use inbound_transfer::config::Settings;
use inbound_transfer::db::DatabaseUrl;
use inbound_transfer::startup::{prepare_database, Application};

use super::history::fresh_database;
use super::sheets::{login, resident, Sampler};

/// The most a hostile file may grow the resident set by.
const BUDGET: u64 = 64 << 20;

/// Writes one part of a workbook.
type Part<'a> = &'a dyn Fn(&mut dyn Write);

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A workbook of one sheet, with the sheet's XML and, where given, a shared-strings table written
/// by the callers (both deflated, as spreadsheet programs write them).
fn workbook(sheet: impl FnOnce(&mut dyn Write), strings: Option<Part<'_>>) -> Result<Vec<u8>, String> {
    let e = |e: std::io::Error| e.to_string();
    let z = |e: zip::result::ZipError| e.to_string();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    for (name, xml) in parts {
        zip.start_file(name, options).map_err(z)?;
        zip.write_all(xml.as_bytes()).map_err(e)?;
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).map_err(z)?;
    sheet(&mut zip);
    if let Some(strings) = strings {
        zip.start_file("xl/sharedStrings.xml", options).map_err(z)?;
        strings(&mut zip);
    }
    Ok(zip.finish().map_err(z)?.into_inner())
}

/// `n` one-letter shared strings, and a sheet that uses none of them.
fn shared_strings(n: usize) -> Result<Vec<u8>, String> {
    let table = |out: &mut dyn Write| {
        let _ = write!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}" count="{n}" uniqueCount="{n}">"#
        );
        let entry = b"<si><t>a</t></si>";
        let block: Vec<u8> = entry.iter().copied().cycle().take(entry.len() * 10_000).collect();
        for _ in 0..n / 10_000 {
            let _ = out.write_all(&block);
        }
        let _ = out.write_all(b"</sst>");
    };
    workbook(
        |sheet| {
            let _ = write!(
                sheet,
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData/></worksheet>"#
            );
        },
        Some(&table),
    )
}

/// One inline cell of `mib` MiB.
fn inline_cell(mib: usize) -> Result<Vec<u8>, String> {
    workbook(
        |sheet| {
            let _ = write!(
                sheet,
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#
            );
            let block = vec![b'x'; 1 << 20];
            for _ in 0..mib {
                let _ = sheet.write_all(&block);
            }
            let _ = sheet.write_all(b"</t></is></c></row></sheetData></worksheet>");
        },
        None,
    )
}

async fn import(
    client: &awc::Client,
    base: &str,
    token: &str,
    body: Vec<u8>,
) -> Result<(u16, Duration), String> {
    let started = Instant::now();
    let mut res = client
        .post(format!("{base}/api/v1/travellers/import"))
        .bearer_auth(token)
        .insert_header(("content-type", inbound_transfer::sheets::manifest::XLSX))
        .send_body(body)
        .await
        .map_err(|e| e.to_string())?;
    let _ = res.body().limit(1 << 20).await;
    Ok((res.status().as_u16(), started.elapsed()))
}

/// A file sent while a login starts 100 ms later: the answer, how long each took, and the growth
/// of the resident set.
async fn one(
    client: &awc::Client,
    base: &str,
    token: &str,
    label: &str,
    body: Vec<u8>,
) -> Result<bool, String> {
    let size = body.len();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = resident();
    let sampler = Sampler::start();
    let login_during = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        login(client, base).await.map(|_| started.elapsed())
    };
    let (answer, waited) = tokio::join!(import(client, base, token, body), login_during);
    let peak = sampler.stop();
    let ((status, took), waited) = (answer?, waited?);
    let grew = peak.saturating_sub(before);
    println!(
        "  {label:<34} {:>7.0} KiB sent  {status}  in {:>6.2} s  resident set +{:>6.1} MiB  login during it: {:>4.0} ms{}",
        size as f64 / 1024.0,
        took.as_secs_f64(),
        grew as f64 / (1 << 20) as f64,
        waited.as_secs_f64() * 1000.0,
        if waited < took { " (before the import answered)" } else { "" },
    );
    Ok(grew <= BUDGET && (status == 413 || status == 422))
}

async fn measure(settings: Settings) -> Result<(), String> {
    let app = Application::build(settings).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    let token = login(&client, &base).await?;
    let mut within = true;
    within &= one(
        &client,
        &base,
        &token,
        "14 million shared strings",
        shared_strings(14_000_000)?,
    )
    .await?;
    within &= one(
        &client,
        &base,
        &token,
        "one inline cell of 200 MiB",
        inline_cell(200)?,
    )
    .await?;

    // Three at once: two are read, the third is turned away.
    let bombs: Vec<Vec<u8>> = (0..3)
        .map(|_| shared_strings(14_000_000))
        .collect::<Result<_, _>>()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = resident();
    let sampler = Sampler::start();
    let started = Instant::now();
    let answers =
        futures_util::future::join_all(bombs.into_iter().map(|b| import(&client, &base, &token, b))).await;
    let peak = sampler.stop();
    let statuses: Vec<String> = answers
        .into_iter()
        .map(|a| a.map(|(s, _)| s.to_string()))
        .collect::<Result<_, _>>()?;
    let grew = peak.saturating_sub(before);
    println!(
        "  {:<34} answers {} in {:.2} s  resident set +{:.1} MiB",
        "three of the first at once",
        statuses.join(", "),
        started.elapsed().as_secs_f64(),
        grew as f64 / (1 << 20) as f64,
    );
    within &= grew <= BUDGET;
    println!(
        "  every file refused within {} MiB of resident set: {}",
        BUDGET >> 20,
        if within { "yes" } else { "NO" }
    );
    Ok(())
}

pub fn run(base: Settings, databases: Vec<String>) -> Result<(), String> {
    for database in &databases {
        let db = fresh_database(database, 0)?;
        let mut settings = base.clone();
        settings.database.url = db.url.clone();
        settings.server.bind = "127.0.0.1:0".into();
        settings.demo.seed = true;
        settings.demo.motion = false;
        let label = DatabaseUrl::parse(&db.url)?.redacted();
        drop(prepare_database(&settings)?);
        println!("\n== {label}: hostile workbooks ==");
        actix_web::rt::System::new().block_on(measure(settings))?;
    }
    Ok(())
}
