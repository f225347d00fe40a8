//! The empty manifest a dispatcher fills in: the header row, in English or Chinese. The workbook
//! also explains each column with its allowed values (a second sheet), lists the ports and the
//! communities of the caller's city by code and name (a third), and offers the allowed values of
//! the closed columns as drop-down lists under the header.

use rust_xlsxwriter::{
    DataValidation, DataValidationErrorStyle, Format, Formula, Workbook, Worksheet, XlsxError,
};

use super::fields::{self, FIELDS};
use super::{HeaderLanguage, UTF8_BOM};
use crate::domain::traveller::{DocumentType, Language};

/// A code a manifest may use, with what it names.
pub struct Code {
    pub code: String,
    pub name: String,
    /// What it belongs to: the district of a community.
    pub within: Option<String>,
}

fn header(lang: HeaderLanguage) -> Vec<&'static str> {
    FIELDS
        .iter()
        .map(|f| match lang {
            HeaderLanguage::Zh => f.zh,
            HeaderLanguage::En => f.name,
        })
        .collect()
}

/// The template as CSV: the header row, UTF-8 with a byte-order mark.
pub fn csv(lang: HeaderLanguage) -> Vec<u8> {
    let mut out = UTF8_BOM.to_vec();
    out.extend_from_slice(header(lang).join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// Rows of the manifest sheet that offer the drop-down lists.
const LIST_ROWS: u32 = 5_000;

/// An example of each column, as a filled manifest would have it.
fn example(field: &str, zh: bool) -> &'static str {
    match (field, zh) {
        ("full_name", true) => "李伟",
        ("full_name", false) => "Li Wei",
        ("document_type", true) => "护照",
        ("document_type", false) => "passport",
        ("document_no", _) => "E12345678",
        ("nationality", true) => "中国",
        ("nationality", false) => "CHN",
        ("phone", _) => "13800000000",
        ("flight_no", _) => "MU5001",
        ("port_code", _) => "PVG",
        ("arrived_at", _) => "2026-03-07 08:30",
        ("destination_community_code", _) => "CZ-TN-HM",
        ("language", _) => "zh",
        _ => "",
    }
}

/// The template as a workbook: the header row on the first sheet, what each column takes on the
/// second, the ports and communities on the third.
pub fn xlsx(lang: HeaderLanguage, ports: &[Code], communities: &[Code]) -> Result<Vec<u8>, XlsxError> {
    let zh = lang == HeaderLanguage::Zh;
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let wrap = Format::new().set_text_wrap();
    let codes_name = if zh { "代码" } else { "codes" };

    let sheet = workbook.add_worksheet();
    sheet.set_name(if zh { "入境人员" } else { "manifest" })?;
    for (col, name) in header(lang).iter().enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, *name, &bold)?;
        sheet.set_column_width(col, 18)?;
        // Typed document numbers and phones keep their leading zeros.
        sheet.set_column_format(col, &text)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    // The closed columns offer their values; other ways of writing them are still read, so a
    // value not on the list only warns.
    let doc_types: Vec<&str> = if zh {
        vec!["护照", "身份证", "港澳通行证", "台胞证", "其他"]
    } else {
        DocumentType::ALL.iter().map(|d| d.as_str()).collect()
    };
    let languages: Vec<&str> = Language::ALL.iter().map(|l| l.as_str()).collect();
    let list = |values: &[&str]| -> Result<DataValidation, XlsxError> {
        Ok(DataValidation::new()
            .allow_list_strings(values)?
            .set_error_style(DataValidationErrorStyle::Warning))
    };
    let range = |col: u16, rows: usize| {
        let letter = column_letter(col);
        Formula::new(format!(
            "='{codes_name}'!${letter}$2:${letter}${}",
            rows.max(1) + 1
        ))
    };
    let on_column = |sheet: &mut Worksheet, field: &str, validation: &DataValidation| {
        let col = fields::position(field) as u16;
        sheet
            .add_data_validation(1, col, LIST_ROWS, col, validation)
            .map(drop)
    };
    on_column(sheet, "document_type", &list(&doc_types)?)?;
    on_column(sheet, "language", &list(&languages)?)?;
    let from_sheet = |formula: Formula| {
        DataValidation::new()
            .allow_list_formula(formula)
            .set_error_style(DataValidationErrorStyle::Warning)
    };
    on_column(sheet, "port_code", &from_sheet(range(0, ports.len())))?;
    on_column(
        sheet,
        "destination_community_code",
        &from_sheet(range(2, communities.len())),
    )?;

    let about = workbook.add_worksheet();
    about.set_name(if zh { "填写说明" } else { "columns" })?;
    let titles: [&str; 5] = if zh {
        ["列名", "字段", "是否必填", "填写说明", "示例"]
    } else {
        ["heading", "field", "required", "what to write", "example"]
    };
    for (col, title) in titles.iter().enumerate() {
        about.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    for (width, col) in [(14.0, 0), (26.0, 1), (10.0, 2), (70.0, 3), (20.0, 4)] {
        about.set_column_width(col, width)?;
    }
    for (row, f) in FIELDS.iter().enumerate() {
        let row = row as u32 + 1;
        about.write_string(row, 0, if zh { f.zh } else { f.name })?;
        about.write_string(row, 1, f.name)?;
        let required = match (f.required, zh) {
            (true, true) => "必填",
            (false, true) => "选填",
            (true, false) => "required",
            (false, false) => "optional",
        };
        about.write_string(row, 2, required)?;
        about.write_string_with_format(row, 3, f.explain[usize::from(zh)], &wrap)?;
        about.write_string(row, 4, example(f.name, zh))?;
    }
    let note = if zh {
        "列的顺序不限；列名也可以写常见的其他说法（如“旅客姓名”“护照号码”“联系电话”“抵达时间”“目的地”）；不用的列（序号、性别、座位号等）会被忽略。"
    } else {
        "Columns may come in any order, under their usual headings too (Passenger name, Passport No., Mobile, Arrival time, Destination); columns the service does not use are ignored."
    };
    about.write_string_with_format(FIELDS.len() as u32 + 2, 0, note, &wrap)?;

    let codes = workbook.add_worksheet();
    codes.set_name(codes_name)?;
    let titles: [&str; 4] = if zh {
        ["入境口岸代码", "入境口岸", "目的社区代码", "目的社区"]
    } else {
        ["port_code", "port", "destination_community_code", "community"]
    };
    for (col, title) in titles.iter().enumerate() {
        codes.write_string_with_format(0, col as u16, *title, &bold)?;
        codes.set_column_width(col as u16, 24)?;
    }
    for (row, port) in ports.iter().enumerate() {
        codes.write_string(row as u32 + 1, 0, &port.code)?;
        codes.write_string(row as u32 + 1, 1, &port.name)?;
    }
    for (row, community) in communities.iter().enumerate() {
        codes.write_string(row as u32 + 1, 2, &community.code)?;
        let name = match &community.within {
            Some(district) => format!("{district} {}", community.name),
            None => community.name.clone(),
        };
        codes.write_string(row as u32 + 1, 3, &name)?;
    }
    codes.set_freeze_panes(1, 0)?;
    workbook.save_to_buffer()
}

/// A column's letter (the codes sheet has four).
fn column_letter(col: u16) -> char {
    (b'A' + col as u8) as char
}
