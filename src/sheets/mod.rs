//! Spreadsheets, "one table to the end": manifests read from the files airports send, the
//! template a dispatcher fills in, and the rosters officers download.

pub mod fields;
pub mod manifest;
pub mod roster;
pub mod template;
pub mod values;

/// The language of a file's header row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HeaderLanguage {
    #[default]
    Zh,
    En,
}

/// How a CSV file starts, so that spreadsheet programs read it as UTF-8 (Chinese included).
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A file format of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    #[default]
    Xlsx,
    Csv,
}

impl FileFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            FileFormat::Xlsx => manifest::XLSX,
            FileFormat::Csv => "text/csv; charset=utf-8",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Xlsx => "xlsx",
            FileFormat::Csv => "csv",
        }
    }
}
