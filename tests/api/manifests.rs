//! Manifests: imported from real XLSX workbooks and Chinese CSV files, whole or not at all; files
//! that are not what they say; the template.

use std::io::{Cursor, Write};

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

use crate::helpers::*;
use crate::world::World;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub async fn import(w: &World, token: &str, content_type: &str, body: Vec<u8>) -> Response {
    w.app
        .send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(token),
            content_type,
            body,
        )
        .await
}

pub async fn find(w: &World, document_no: &str) -> Value {
    let res = w
        .app
        .get(&format!("/api/v1/travellers?q={document_no}"), &w.dispatcher)
        .await
        .expect(200);
    res.body["items"][0].clone()
}

/// A manifest as an airport's spreadsheet program saves it: Chinese headers, the arrival typed as
/// a date, a phone typed as a number, a document number kept as text with its leading zeros.
fn airport_workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let headers = [
        "姓名",
        "证件类型",
        "证件号码",
        "国籍",
        "电话",
        "航班号",
        "入境口岸",
        "入境时间",
        "目的社区",
        "语言",
    ];
    for (col, h) in headers.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let arrived = ExcelDateTime::from_ymd(2020, 3, 7)
        .unwrap()
        .and_hms(9, 30, 0)
        .unwrap();
    let rows: [(&str, &str, f64, &str); 2] = [
        ("李伟", "007700123", 13800000001.0, "CZ-TN-HM"),
        ("Anna Müller", "C01X00T47", 4915112345678.0, "CZ-ZL-NY"),
    ];
    for (i, (name, doc, phone, community)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *name).unwrap();
        sheet.write_string(r, 1, "passport").unwrap();
        sheet.write_string(r, 2, *doc).unwrap();
        sheet.write_string(r, 3, "CHN").unwrap();
        sheet.write_number(r, 4, *phone).unwrap();
        sheet.write_string(r, 5, "MU5001").unwrap();
        sheet.write_string(r, 6, "PVG").unwrap();
        sheet.write_datetime_with_format(r, 7, &arrived, &date).unwrap();
        sheet.write_string(r, 8, *community).unwrap();
        sheet.write_string(r, 9, "zh").unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[actix_web::test]
async fn an_airport_workbook_is_imported_as_the_airport_typed_it() {
    let w = World::new().await;
    let res = import(&w, &w.dispatcher, XLSX, airport_workbook())
        .await
        .expect(201);
    assert_eq!(res.body["created"], 2);
    let li = find(&w, "007700123").await;
    assert_eq!(li["full_name"], "李伟");
    assert_eq!(
        li["document_no"], "007700123",
        "a document number kept as text keeps its zeros"
    );
    assert_eq!(
        li["phone"], "13800000001",
        "a number is its digits, no exponent, no .0"
    );
    // 09:30 typed as a date, with no zone: local time of stats.utc_offset_minutes (UTC+8).
    assert_eq!(li["arrived_at"], "2020-03-07T01:30:00Z");
    let anna = find(&w, "C01X00T47").await;
    assert_eq!(anna["phone"], "4915112345678");
    assert_eq!(anna["destination_community_id"], w.app.unit("CZ-ZL-NY"));
}

#[actix_web::test]
async fn a_chinese_csv_reads_as_well_as_utf8() {
    let w = World::new().await;
    let text = "姓名,证件类型,证件号码,国籍,入境口岸,入境时间,目的社区\r\n\
                王芳,passport,G2000001,CHN,PVG,2020/3/8 14:10,CZ-TN-HM\r\n\
                陈静,id_card,G2000002,CHN,PVG,2020-03-08 14:10:00+08:00,CZ-ZL-NY\r\n";
    let (gb18030, _, _) = encoding_rs::GB18030.encode(text);
    let res = import(&w, &w.dispatcher, "text/csv", gb18030.into_owned())
        .await
        .expect(201);
    assert_eq!(res.body["created"], 2);
    let wang = find(&w, "G2000001").await;
    assert_eq!(wang["full_name"], "王芳");
    assert_eq!(wang["arrived_at"], "2020-03-08T06:10:00Z");
    assert_eq!(find(&w, "G2000002").await["full_name"], "陈静");
    // UTF-8 with a byte-order mark, as spreadsheet programs save it, reads the same.
    let bom = format!("\u{feff}{}", text.replace("G200000", "G300000"));
    import(&w, &w.dispatcher, "text/csv", bom.into_bytes())
        .await
        .expect(201);
    assert_eq!(find(&w, "G3000001").await["full_name"], "王芳");
}

/// A workbook of the given sheet XML, zipped the way spreadsheet programs do.
fn workbook_of(sheet: impl FnOnce(&mut dyn Write)) -> Vec<u8> {
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
        zip.start_file(name, options).unwrap();
        zip.write_all(xml.as_bytes()).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", options).unwrap();
    sheet(&mut zip);
    zip.finish().unwrap().into_inner()
}

#[actix_web::test]
async fn files_that_are_not_what_they_say_get_a_clear_4xx_and_change_nothing() {
    let w = World::new().await;
    let before = w.app.count_rows("travellers");
    let csv =
        "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\n\
               Li Wei,passport,E1,CHN,PVG,2020-03-07T08:30:00Z,CZ-TN-HM\n";
    // A CSV sent as a workbook, and a workbook sent as CSV.
    let res = import(&w, &w.dispatcher, XLSX, csv.as_bytes().to_vec()).await;
    res.expect_problem(415, "unsupported_media_type");
    let res = import(&w, &w.dispatcher, "text/csv", airport_workbook()).await;
    let res = res.expect_problem(415, "unsupported_media_type");
    assert!(res.body["detail"].as_str().unwrap().contains("XLSX"));
    // An Excel 97-2003 file, as either.
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(4096, 0);
    for content_type in [XLSX, "text/csv"] {
        let res = import(&w, &w.dispatcher, content_type, xls.clone()).await;
        let res = res.expect_problem(415, "unsupported_media_type");
        assert!(res.body["detail"].as_str().unwrap().contains(".xls"));
    }
    // A zip bomb: a few hundred kilobytes that unpack to 300 MiB.
    let bomb = workbook_of(|sheet| {
        let blanks = vec![b' '; 1 << 20];
        for _ in 0..300 {
            sheet.write_all(&blanks).unwrap();
        }
    });
    assert!(bomb.len() < 2 << 20, "the bomb is small: {} bytes", bomb.len());
    import(&w, &w.dispatcher, XLSX, bomb)
        .await
        .expect_problem(413, "payload_too_large");
    // A header and then a million formatted but empty rows: read quickly, and no rows.
    let empty = workbook_of(|sheet| {
        sheet
            .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>full_name</t></is></c></row>"#)
            .unwrap();
        for n in 2..1_000_002 {
            write!(sheet, r#"<row r="{n}"><c r="A{n}" s="0"/></row>"#).unwrap();
        }
        sheet.write_all(b"</sheetData></worksheet>").unwrap();
    });
    let started = std::time::Instant::now();
    let res = import(&w, &w.dispatcher, XLSX, empty).await;
    assert!(res.status.is_client_error(), "{} {}", res.status, res.body);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "no stall");
    // A value far to the right (column ZZZZ), a cell of a megabyte, a CSV row of a hundred
    // columns: refused, never allocated.
    let far = workbook_of(|sheet| {
        sheet
            .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>full_name</t></is></c><c r="ZZZZ1" t="inlineStr"><is><t>x</t></is></c></row></sheetData></worksheet>"#)
            .unwrap();
    });
    let res = import(&w, &w.dispatcher, XLSX, far)
        .await
        .expect_problem(422, "validation_failed");
    assert!(res.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("beyond column"));
    let long = workbook_of(|sheet| {
        write!(
            sheet,
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>{}</t></is></c></row></sheetData></worksheet>"#,
            "x".repeat(1 << 20)
        )
        .unwrap();
    });
    let res = import(&w, &w.dispatcher, XLSX, long)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "A");
    let wide = format!("{}\n", vec!["full_name"; 100].join(","));
    let res = import(&w, &w.dispatcher, "text/csv", wide.into_bytes())
        .await
        .expect_problem(422, "validation_failed");
    assert!(res.body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("beyond column"));
    // Not a zip at all, though it starts like one.
    let mut broken = b"PK\x03\x04".to_vec();
    broken.extend_from_slice(&[7; 500]);
    import(&w, &w.dispatcher, XLSX, broken)
        .await
        .expect_problem(400, "validation_failed");
    // Neither UTF-8 nor GB18030.
    import(&w, &w.dispatcher, "text/csv", vec![b'a', b',', 0xFF, 0xFF, b'\n'])
        .await
        .expect_problem(400, "validation_failed");
    assert_eq!(w.app.count_rows("travellers"), before, "nothing was written");
}

#[actix_web::test]
async fn a_manifest_with_many_problems_lists_the_first_hundred_and_counts_them_all() {
    let w = World::new().await;
    let before = w.app.count_rows("travellers");
    let mut csv = String::from(
        "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\n",
    );
    for n in 0..150 {
        // Every row's nationality is wrong; every third row's port too.
        let port = if n % 3 == 0 { "XXX" } else { "PVG" };
        csv.push_str(&format!(
            "Row {n},passport,M{n:06},China,{port},2020-03-07 08:30,CZ-TN-HM\n"
        ));
    }
    let res = import(&w, &w.dispatcher, "text/csv", csv.into_bytes())
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["error_count"], 200);
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 100);
    let rows: Vec<u64> = errors.iter().map(|e| e["row"].as_u64().unwrap()).collect();
    assert!(rows.windows(2).all(|p| p[0] <= p[1]), "in row order");
    assert_eq!(rows[0], 2, "the first data row is row 2");
    assert!(res.body["detail"].as_str().unwrap().starts_with("200 problems"));
    assert_eq!(w.app.count_rows("travellers"), before);
}

/// The header of a manifest with the required columns only.
const MANIFEST_HEADER: &str =
    "full_name,document_type,document_no,nationality,port_code,arrived_at,destination_community_code\n";

/// A manifest row that passes every check: document `{prefix}{n:07}`, bound for CZ-TN-HM.
fn plain_row(prefix: &str, n: usize) -> String {
    format!("Traveller {n},passport,{prefix}{n:07},CHN,PVG,2020-03-07 08:30,CZ-TN-HM\n")
}

/// A CSV manifest of `rows` plain rows.
pub fn plain_manifest(prefix: &str, rows: usize) -> Vec<u8> {
    let mut csv = String::from(MANIFEST_HEADER);
    for n in 0..rows {
        csv.push_str(&plain_row(prefix, n));
    }
    csv.into_bytes()
}

#[actix_web::test]
async fn a_problem_late_in_a_large_manifest_leaves_nothing_written() {
    // Manifests are written a chunk at a time as they are read (1,800 rows): problems after the
    // first chunks must still leave nothing behind.
    const N: usize = 4_000;
    let w = World::new().await;
    let open = w.register("PVG", "CZ-TN-HM", "MU5001").await;
    let open_no = w.traveller(&open).await["document_no"]
        .as_str()
        .unwrap()
        .to_owned();
    let manifest = |late: &dyn Fn(usize) -> Option<String>| {
        let mut csv = String::from(MANIFEST_HEADER);
        for n in 0..N {
            csv.push_str(&late(n).unwrap_or_else(|| plain_row("L", n)));
        }
        csv.into_bytes()
    };
    let travellers = w.app.count_rows("travellers");
    let events = w.app.count_rows("events");

    // Row problems in the third chunk: a wrong nationality, a document repeated from the first
    // rows, a document already in transfer.
    let body = manifest(&|n| match n {
        3_700 => Some(format!(
            "Late {n},passport,L{n:07},China,PVG,2020-03-07 08:30,CZ-TN-HM\n"
        )),
        3_800 => Some("Again,passport,L0000010,CHN,PVG,2020-03-07 08:30,CZ-TN-HM\n".into()),
        3_900 => Some(format!(
            "Open,passport,{open_no},CHN,PVG,2020-03-07 08:30,CZ-TN-HM\n"
        )),
        _ => None,
    });
    let res = import(&w, &w.dispatcher, "text/csv", body)
        .await
        .expect_problem(422, "validation_failed");
    let problems: Vec<(u64, &str)> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    // Row numbers as the spreadsheet shows them: the header is row 1.
    assert_eq!(
        problems,
        [
            (3_702, "nationality"),
            (3_802, "document_no"),
            (3_902, "document_no")
        ]
    );
    assert_eq!(w.app.count_rows("travellers"), travellers, "nothing written");
    assert_eq!(w.app.count_rows("events"), events, "nothing recorded");

    // A problem of the file itself late in it: a row wider than a manifest can be.
    let wide = format!("{}\n", vec!["x"; 70].join(","));
    let body = manifest(&|n| (n == 3_950).then(|| wide.clone()));
    import(&w, &w.dispatcher, "text/csv", body)
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(w.app.count_rows("travellers"), travellers, "nothing written");
    assert_eq!(w.app.count_rows("events"), events, "nothing recorded");

    // The same manifest without them goes in whole.
    import(&w, &w.dispatcher, "text/csv", manifest(&|_| None))
        .await
        .expect(201);
    assert_eq!(w.app.count_rows("travellers"), travellers + N as i64);
}

pub fn read_workbook(bytes: &[u8]) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).expect("a workbook");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("a sheet");
            let rows = range.rows().map(|r| r.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

#[actix_web::test]
async fn the_template_has_the_header_and_the_codes_of_the_city() {
    let w = World::new().await;
    let res = w
        .app
        .get(
            "/api/v1/travellers/import/template?format=xlsx&lang=zh",
            &w.dispatcher,
        )
        .await
        .expect(200);
    assert_eq!(res.header("content-type").as_deref(), Some(XLSX));
    assert!(res
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment;"));
    let sheets = read_workbook(&res.bytes);
    assert_eq!(sheets.len(), 2);
    let header: Vec<String> = sheets[0].1[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[0], "姓名");
    assert!(header.contains(&"目的社区".to_owned()));
    let codes: Vec<String> = sheets[1].1.iter().skip(1).map(|r| r[2].to_string()).collect();
    assert!(codes.contains(&"CZ-TN-HM".to_owned()), "{codes:?}");
    assert!(
        codes.iter().all(|c| c.is_empty() || c.starts_with("CZ-")),
        "only the caller's city"
    );
    let ports: Vec<String> = sheets[1].1.iter().skip(1).map(|r| r[0].to_string()).collect();
    assert!(ports.contains(&"PVG".to_owned()));

    // The CSV template in English is a header a manifest can be filled under.
    let csv = w
        .app
        .get(
            "/api/v1/travellers/import/template?format=csv&lang=en",
            &w.dispatcher,
        )
        .await
        .expect(200);
    let text = String::from_utf8(csv.bytes.to_vec()).unwrap();
    let header = text.trim_start_matches('\u{feff}').trim_end();
    assert!(header.starts_with("full_name,document_type,document_no"));
    let filled = format!("{header}\nLi Lei,passport,T1000001,CHN,,,PVG,2020-03-07 08:30,CZ-TN-HM,,,\n");
    let res = import(&w, &w.dispatcher, "text/csv", filled.into_bytes())
        .await
        .expect(201);
    assert_eq!(res.body["created"], 1);

    // The template filled in a spreadsheet program imports as it is.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in sheets[0].1[0].iter().enumerate() {
        sheet.write_string(0, col as u16, name.to_string()).unwrap();
    }
    for (col, value) in [
        "韩梅梅",
        "passport",
        "T1000002",
        "CHN",
        "",
        "",
        "PVG",
        "2020-03-07 08:30",
        "CZ-TN-HM",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    let res = import(&w, &w.dispatcher, XLSX, book.save_to_buffer().unwrap())
        .await
        .expect(201);
    assert_eq!(res.body["created"], 1);
}

#[actix_web::test]
async fn only_those_who_register_travellers_import_or_get_the_template() {
    let w = World::new().await;
    let app = &w.app;
    for who in [VIEWER, DISTRICT_OFFICER, COMMUNITY_OFFICER] {
        let token = app.login(who).await;
        app.send_raw(
            "POST",
            "/api/v1/travellers/import",
            Some(&token),
            XLSX,
            airport_workbook(),
        )
        .await
        .expect_problem(403, "forbidden");
        app.get("/api/v1/travellers/import/template", &token)
            .await
            .expect_problem(403, "forbidden");
    }
    app.send("GET", "/api/v1/travellers/import/template", None, None, &[])
        .await
        .expect_problem(401, "unauthorized");
    // A dispatcher cannot send travellers to another city's communities.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let row = [
        ("full_name", "Li Wei"),
        ("document_type", "passport"),
        ("document_no", "X9999999"),
        ("nationality", "CHN"),
        ("port_code", "PVG"),
        ("arrived_at", "2020-03-07 08:30"),
        ("destination_community_code", "WX-LX-01"),
    ];
    for (col, (name, value)) in row.iter().enumerate() {
        sheet.write_string(0, col as u16, *name).unwrap();
        sheet.write_string(1, col as u16, *value).unwrap();
    }
    let res = import(&w, &w.dispatcher, XLSX, book.save_to_buffer().unwrap())
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["errors"][0]["field"], "destination_community_code");
    assert_eq!(res.body["errors"][0]["row"], 2);
}
