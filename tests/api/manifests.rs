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
    import(&w, &w.dispatcher, XLSX, long)
        .await
        .expect_problem(413, "payload_too_large");
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
async fn repeated_problems_are_grouped_so_that_real_mistakes_stand_out() {
    let w = World::new().await;
    let before = w.app.count_rows("travellers");
    // 30 rows with a document type nobody knows, one unreadable time and one missing document
    // number: three entries, one of them naming all 30 rows.
    let mut csv = String::from("姓名,证件类型,证件号码,国籍,入境口岸,入境时间,目的社区\n");
    for n in 0..30 {
        let time = if n == 7 { "soon" } else { "2020-03-07 08:30" };
        let document = if n == 12 {
            String::new()
        } else {
            format!("G{n:07}")
        };
        csv.push_str(&format!("旅客{n},驾驶证,{document},中国,PVG,{time},CZ-TN-HM\n"));
    }
    let res = import(&w, &w.dispatcher, "text/csv", csv.into_bytes())
        .await
        .expect_problem(422, "validation_failed");
    assert_eq!(res.body["error_count"], 32, "{}", res.body);
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{errors:?}");
    // Single-row problems first, in row order, then the grouped ones.
    assert_eq!(errors[0]["row"], 9);
    assert_eq!(errors[0]["field"], "arrived_at");
    assert_eq!(errors[1]["row"], 14);
    assert_eq!(errors[1]["field"], "document_no");
    assert_eq!(
        errors[1]["code"], "required",
        "a missing number says it is required"
    );
    assert_eq!(errors[2]["field"], "document_type");
    assert_eq!(
        errors[2]["code"], "document_type_written",
        "a manifest's problem names the words it reads"
    );
    assert_eq!(
        errors[2]["params"]["allowed"],
        serde_json::json!(["passport", "id_card", "travel_permit", "other"])
    );
    assert_eq!(errors[2]["row"], 2);
    let rows: Vec<u64> = errors[2]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_u64().unwrap())
        .collect();
    assert_eq!(rows, (2..=31).collect::<Vec<u64>>());
    assert!(errors[2]["params"]["allowed"].is_array());
    assert!(errors[0]
        .get("rows")
        .is_none_or(|r| r.is_null() || r.as_array().is_some_and(|a| a.is_empty())));
    assert!(res.body["detail"].as_str().unwrap().starts_with("32 problems"));
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
    // A manifest is read and checked whole before anything is written: problems late in a
    // large one leave nothing behind.
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

    // Row problems late in the file: a country that does not exist, a document repeated from the first
    // rows, a document already in transfer.
    let body = manifest(&|n| match n {
        3_700 => Some(format!(
            "Late {n},passport,L{n:07},Atlantis,PVG,2020-03-07 08:30,CZ-TN-HM\n"
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
    assert_eq!(sheets.len(), 3);
    let header: Vec<String> = sheets[0].1[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(header[0], "姓名");
    assert!(header.contains(&"目的社区".to_owned()));
    // Every column explained, with its allowed values and an example.
    let about = &sheets[1].1;
    assert_eq!(about.len() - 1, header.len() + 2, "a row a column, and a note");
    let row_of = |heading: &str| about.iter().find(|r| r[0] == heading).unwrap();
    assert_eq!(row_of("证件类型")[2].to_string(), "必填");
    assert!(row_of("证件类型")[3].to_string().contains("护照"));
    assert!(row_of("国籍")[3].to_string().contains("CHN"));
    assert_eq!(row_of("电话")[2].to_string(), "选填");
    // The closed columns offer drop-down lists: the document types, and the codes of the third
    // sheet for ports and communities.
    let mut zip = zip::ZipArchive::new(Cursor::new(res.bytes.to_vec())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
    assert_eq!(xml.matches("<dataValidation ").count(), 4, "{xml}");
    assert!(xml.contains("护照"));
    assert!(xml.contains("'代码'!$C$2"));
    let codes: Vec<String> = sheets[2].1.iter().skip(1).map(|r| r[2].to_string()).collect();
    assert!(codes.contains(&"CZ-TN-HM".to_owned()), "{codes:?}");
    assert!(
        codes.iter().all(|c| c.is_empty() || c.starts_with("CZ-")),
        "only the caller's city"
    );
    let ports: Vec<String> = sheets[2].1.iter().skip(1).map(|r| r[0].to_string()).collect();
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

/// The rows of a manifest as an airport's staff type it: serial numbers, sexes and seats the
/// service does not use, a second name column, Chinese values, written times and community names.
const AIRPORT_HEADINGS: [&str; 13] = [
    "序号",
    "旅客姓名",
    "性别",
    "证件类型",
    "护照号码",
    "国籍",
    "联系电话",
    "航班",
    "口岸",
    "抵达时间",
    "目的地",
    "座位号",
    "Name",
];

pub fn airport_rows(prefix: &str) -> Vec<[String; 13]> {
    let row = |n: usize, name: &str, kind: &str, country: &str, phone: &str, time: &str, place: &str| {
        [
            n.to_string(),
            name.to_owned(),
            "女".to_owned(),
            kind.to_owned(),
            format!("{prefix}{n:06}"),
            country.to_owned(),
            phone.to_owned(),
            "MU 5001".to_owned(),
            "Shanghai Pudong International Airport".to_owned(),
            time.to_owned(),
            place.to_owned(),
            format!("{n}A"),
            "ignored".to_owned(),
        ]
    };
    vec![
        row(
            1,
            "李伟",
            "护照",
            "中国",
            "13800000001",
            "2026年3月7日 8时30分",
            "红梅",
        ),
        row(
            2,
            "John Smith",
            "Passport",
            "美国",
            "+1 202 555 0100",
            "2026/3/7 8:30",
            "红梅社区",
        ),
        row(
            3,
            "Emma Brown",
            "护照",
            "United Kingdom",
            "",
            "2026-03-07 08:30",
            "Qinglong Community",
        ),
        row(
            4,
            "陈静",
            "往来港澳通行证",
            "香港",
            "85291234567",
            "2026-03-07T00:30:00Z",
            "CZ-ZL-NY",
        ),
        row(5, "佐藤花子", "其他", "JP", "", "2026年3月7日8:30", "新闸"),
    ]
}

fn csv_text(rows: &[[String; 13]]) -> String {
    let mut text = AIRPORT_HEADINGS.join(",") + "\r\n";
    for row in rows {
        text.push_str(&row.join(","));
        text.push_str("\r\n");
    }
    text
}

/// The same manifest as a workbook: the phone typed as a number, the first arrival as a date cell.
pub fn airport_xlsx(rows: &[[String; 13]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (col, h) in AIRPORT_HEADINGS.iter().enumerate() {
        sheet.write_string(0, col as u16, *h).unwrap();
    }
    let date = Format::new().set_num_format("yyyy\"年\"m\"月\"d\"日\" h:mm");
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (col, value) in row.iter().enumerate() {
            let col = col as u16;
            match col {
                0 => sheet
                    .write_number(r, col, value.parse::<f64>().unwrap())
                    .map(drop),
                6 if value.chars().all(|c| c.is_ascii_digit()) && !value.is_empty() => sheet
                    .write_number(r, col, value.parse::<f64>().unwrap())
                    .map(drop),
                9 if r == 1 => {
                    let at = ExcelDateTime::from_ymd(2026, 3, 7)
                        .unwrap()
                        .and_hms(8, 30, 0)
                        .unwrap();
                    sheet.write_datetime_with_format(r, col, &at, &date).map(drop)
                }
                _ => sheet.write_string(r, col, value).map(drop),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[actix_web::test]
async fn a_manifest_as_airports_send_it_is_read_in_every_format() {
    let w = World::new().await;
    let utf16 = |text: &str| {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
        bytes
    };
    let files: [(&str, &str, Vec<u8>); 3] = [
        ("X", XLSX, airport_xlsx(&airport_rows("X"))),
        (
            "G",
            "text/csv",
            encoding_rs::GB18030
                .encode(&csv_text(&airport_rows("G")))
                .0
                .into_owned(),
        ),
        ("U", "text/csv", utf16(&csv_text(&airport_rows("U")))),
    ];
    for (prefix, content_type, body) in files {
        let res = import(&w, &w.dispatcher, content_type, body).await.expect(201);
        assert_eq!(res.body["created"], 5, "{prefix}: {}", res.body);
        assert_eq!(
            res.body["ignored_columns"],
            serde_json::json!(["序号", "性别", "座位号", "Name"]),
            "{prefix}"
        );
        let li = find(&w, &format!("{prefix}000001")).await;
        assert_eq!(li["full_name"], "李伟", "{prefix}");
        assert_eq!(li["document_type"], "passport");
        assert_eq!(li["nationality"], "CHN");
        assert_eq!(li["phone"], "13800000001");
        assert_eq!(li["flight_no"], "MU5001");
        assert_eq!(li["port_id"], w.port("PVG"));
        assert_eq!(
            li["arrived_at"], "2026-03-07T00:30:00Z",
            "{prefix}: local time, UTC+8"
        );
        assert_eq!(li["destination_community_id"], w.app.unit("CZ-TN-HM"));
        let john = find(&w, &format!("{prefix}000002")).await;
        assert_eq!(john["nationality"], "USA");
        assert_eq!(john["arrived_at"], "2026-03-07T00:30:00Z");
        assert_eq!(john["destination_community_id"], w.app.unit("CZ-TN-HM"));
        let emma = find(&w, &format!("{prefix}000003")).await;
        assert_eq!(emma["nationality"], "GBR");
        assert_eq!(emma["destination_community_id"], w.app.unit("CZ-TN-QL"));
        let chen = find(&w, &format!("{prefix}000004")).await;
        assert_eq!(chen["document_type"], "travel_permit");
        assert_eq!(chen["nationality"], "HKG");
        let sato = find(&w, &format!("{prefix}000005")).await;
        assert_eq!(sato["document_type"], "other");
        assert_eq!(sato["nationality"], "JPN");
        assert_eq!(sato["arrived_at"], "2026-03-07T00:30:00Z");
        assert_eq!(sato["destination_community_id"], w.app.unit("CZ-ZL-XC"));
    }
}

#[actix_web::test]
async fn a_required_column_missing_and_a_name_of_two_communities_are_named() {
    let w = World::new().await;
    // Without a document number column: one problem naming it.
    let text = "姓名,证件类型,国籍,口岸,抵达时间,目的地\n李伟,护照,中国,PVG,2026-03-07 08:30,红梅\n";
    let res = import(&w, &w.dispatcher, "text/csv", text.as_bytes().to_vec())
        .await
        .expect_problem(422, "validation_failed");
    let errors = res.body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0]["field"], "document_no");
    assert_eq!(errors[0]["code"], "column_missing");
    assert_eq!(errors[0]["params"]["heading"], "证件号码");
    // A second 红梅社区 in another district: the name alone no longer says which.
    let admin = w.admin.clone();
    w.app
        .post(
            "/api/v1/units",
            &admin,
            serde_json::json!({"name": "红梅社区", "code": "CZ-ZL-HM", "level": "community", "parent_id": w.app.unit("CZ-ZL")}),
        )
        .await
        .expect(201);
    let text = "姓名,证件类型,证件号码,国籍,口岸,抵达时间,目的地\n李伟,护照,H0000001,中国,PVG,2026-03-07 08:30,红梅\n";
    let res = import(&w, &w.dispatcher, "text/csv", text.as_bytes().to_vec())
        .await
        .expect_problem(422, "validation_failed");
    let error = &res.body["errors"][0];
    assert_eq!(error["field"], "destination_community_code");
    assert_eq!(error["code"], "name_matches_several");
    assert_eq!(
        error["params"]["codes"],
        serde_json::json!(["CZ-TN-HM", "CZ-ZL-HM"])
    );
    // By code it is clear.
    let text = text.replace(",红梅\n", ",CZ-ZL-HM\n");
    import(&w, &w.dispatcher, "text/csv", text.into_bytes())
        .await
        .expect(201);
}

/// A workbook whose shared-strings table holds `n` one-letter entries (and a sheet that uses none).
fn shared_strings_bomb(n: usize) -> Vec<u8> {
    let mut book = workbook_of(|sheet| {
        sheet
            .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>"#)
            .unwrap();
    });
    // The table goes in as one more part of the zip.
    let mut zip = zip::ZipWriter::new_append(Cursor::new(&mut book)).unwrap();
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("xl/sharedStrings.xml", options).unwrap();
    write!(zip, r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{n}" uniqueCount="{n}">"#).unwrap();
    let entry = b"<si><t>a</t></si>";
    let block: Vec<u8> = entry.iter().copied().cycle().take(entry.len() * 10_000).collect();
    for _ in 0..n / 10_000 {
        zip.write_all(&block).unwrap();
    }
    zip.write_all(b"</sst>").unwrap();
    zip.finish().unwrap();
    book
}

#[actix_web::test]
async fn hostile_workbooks_are_refused_before_their_strings_are_kept() {
    let w = World::new().await;
    let before = w.app.count_rows("travellers");
    // Two million tiny shared strings: a small file on the wire.
    let bomb = shared_strings_bomb(2_000_000);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let res = import(&w, &w.dispatcher, XLSX, bomb)
        .await
        .expect_problem(413, "payload_too_large");
    assert_eq!(res.body["code"], "payload_too_large");
    assert_eq!(res.body["params"]["max_strings"], 600_012);
    // A single inline cell of 16 MiB.
    let cell = workbook_of(|sheet| {
        sheet
            .write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#)
            .unwrap();
        let block = vec![b'x'; 1 << 20];
        for _ in 0..16 {
            sheet.write_all(&block).unwrap();
        }
        sheet
            .write_all(b"</t></is></c></row></sheetData></worksheet>")
            .unwrap();
    });
    import(&w, &w.dispatcher, XLSX, cell)
        .await
        .expect_problem(413, "payload_too_large");
    assert_eq!(w.app.count_rows("travellers"), before);
}

#[actix_web::test]
async fn a_login_during_a_large_import_does_not_wait_for_it() {
    let w = World::with(|s| s.server.max_body_bytes = 8 << 20).await;
    // 20,000 rows: seconds of reading and checking before anything is written.
    let body = plain_manifest("J", 20_000);
    let import_done = async {
        let res = import(&w, &w.dispatcher, "text/csv", body).await;
        (std::time::Instant::now(), res)
    };
    let login_done = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        let res = w.app.login_response(ADMIN.0, ADMIN.1).await;
        (started, std::time::Instant::now(), res)
    };
    let ((imported_at, imported), (login_started, logged_in_at, login)) =
        tokio::join!(import_done, login_done);
    imported.expect(201);
    login.expect(200);
    assert!(
        logged_in_at < imported_at,
        "the login ({:?}) answered before the import",
        logged_in_at - login_started
    );
}
