//! The empty manifest a dispatcher fills in: the header row, in English or Chinese, and in the
//! workbook a second sheet with the codes the rows may use.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::manifest::COLUMNS;
use super::{HeaderLanguage, UTF8_BOM};

/// A code a manifest may use, with what it names.
pub struct Code {
    pub code: String,
    pub name: String,
    /// What it belongs to: the district of a community.
    pub within: Option<String>,
}

fn header(lang: HeaderLanguage) -> Vec<&'static str> {
    COLUMNS
        .iter()
        .map(|c| match lang {
            HeaderLanguage::Zh => c.zh,
            HeaderLanguage::En => c.field,
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

/// The template as a workbook: the header row on the first sheet, and the valid port and
/// community codes on the second.
pub fn xlsx(lang: HeaderLanguage, ports: &[Code], communities: &[Code]) -> Result<Vec<u8>, XlsxError> {
    let zh = lang == HeaderLanguage::Zh;
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
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
    let codes = workbook.add_worksheet();
    codes.set_name(if zh { "代码" } else { "codes" })?;
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
