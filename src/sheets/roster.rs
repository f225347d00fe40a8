//! The roster as a file: one row per traveller with the whole chain across the row, as CSV
//! (written a page at a time, so that it streams) or as an XLSX workbook (written in constant
//! memory). No cell is ever read as a formula.

use chrono::NaiveDateTime;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::fields::FIELDS;
use super::{HeaderLanguage, UTF8_BOM};
use crate::db::types::Timestamp;
use crate::domain::traveller::{DocumentType, ExceptionKind, Language, TravellerStatus};
use crate::store::counts::local_offset;
use crate::store::roster::RosterRow;

/// A traveller's field as a roster column: its name, its Chinese header, a width.
const fn field(k: usize, width: f64) -> (&'static str, &'static str, f64) {
    (FIELDS[k].name, FIELDS[k].zh, width)
}

/// The roster's columns: the English header, the Chinese header and a width that fits. The
/// traveller's own fields are those of a manifest (`fields::FIELDS`).
pub const COLUMNS: [(&str, &str, f64); 28] = [
    field(0, 20.0),
    field(1, 12.0),
    field(2, 16.0),
    field(3, 8.0),
    field(4, 18.0),
    field(5, 10.0),
    ("port", "入境口岸", 18.0),
    field(7, 17.0),
    ("district", "目的区", 14.0),
    ("community", "目的社区", 16.0),
    ("batch_code", "转运批次", 18.0),
    ("vehicle_plate", "车牌", 12.0),
    ("driver", "驾驶员", 12.0),
    ("departed_at", "发车时间", 17.0),
    ("batch_arrived_at", "到达时间", 17.0),
    ("district_handoff_sent_at", "市转区交接发起", 17.0),
    ("district_handoff_confirmed_at", "区接收时间", 17.0),
    ("district_handoff_confirmed_by", "区接收人", 14.0),
    ("community_handoff_sent_at", "区转社区交接发起", 17.0),
    ("community_handoff_confirmed_at", "社区接收时间", 17.0),
    ("community_handoff_confirmed_by", "社区接收人", 14.0),
    ("status", "状态", 12.0),
    ("custodian", "当前责任单位", 16.0),
    ("exception", "异常情况", 24.0),
    field(9, 30.0),
    field(10, 8.0),
    field(11, 30.0),
    ("missing_since", "未到登记时间", 17.0),
];

/// One cell of the roster.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// A moment, shown in local time.
    Time(NaiveDateTime),
    Empty,
}

fn text(value: Option<String>) -> Cell {
    value.filter(|v| !v.is_empty()).map_or(Cell::Empty, Cell::Text)
}

fn time(at: Option<Timestamp>) -> Cell {
    at.map_or(Cell::Empty, |at| Cell::Time((at.0 + local_offset()).naive_utc()))
}

fn status_word(status: TravellerStatus, lang: HeaderLanguage) -> &'static str {
    use TravellerStatus::*;
    match lang {
        HeaderLanguage::En => match status {
            AwaitingTransfer => "awaiting transfer",
            Assigned => "assigned to a batch",
            Boarded => "boarded",
            InTransit => "in transit",
            Arrived => "arrived in the city",
            AtDistrict => "at the district",
            Received => "received",
            Exception => "exception",
        },
        HeaderLanguage::Zh => match status {
            AwaitingTransfer => "待转运",
            Assigned => "已编入批次",
            Boarded => "已登车",
            InTransit => "转运途中",
            Arrived => "已抵达市",
            AtDistrict => "已交接至区",
            Received => "社区已接收",
            Exception => "异常",
        },
    }
}

fn document_word(kind: DocumentType, lang: HeaderLanguage) -> &'static str {
    match (lang, kind) {
        (HeaderLanguage::En, DocumentType::Passport) => "passport",
        (HeaderLanguage::En, DocumentType::IdCard) => "ID card",
        (HeaderLanguage::En, DocumentType::TravelPermit) => "travel permit",
        (HeaderLanguage::En, DocumentType::Other) => "other",
        (HeaderLanguage::Zh, DocumentType::Passport) => "护照",
        (HeaderLanguage::Zh, DocumentType::IdCard) => "身份证",
        (HeaderLanguage::Zh, DocumentType::TravelPermit) => "通行证",
        (HeaderLanguage::Zh, DocumentType::Other) => "其他",
    }
}

fn exception_word(kind: ExceptionKind, lang: HeaderLanguage) -> &'static str {
    use ExceptionKind::*;
    match (lang, kind) {
        (HeaderLanguage::En, NoShow) => "no-show",
        (HeaderLanguage::En, Hospitalised) => "hospitalised",
        (HeaderLanguage::En, Absconded) => "absconded",
        (HeaderLanguage::En, TransferredOut) => "transferred out",
        (HeaderLanguage::En, Refused) => "refused",
        (HeaderLanguage::Zh, NoShow) => "未登车",
        (HeaderLanguage::Zh, Hospitalised) => "送医",
        (HeaderLanguage::Zh, Absconded) => "脱离管控",
        (HeaderLanguage::Zh, TransferredOut) => "转出",
        (HeaderLanguage::Zh, Refused) => "拒绝转运",
    }
}

/// A row's cells, in the order of `COLUMNS`.
pub fn cells(row: &RosterRow, lang: HeaderLanguage) -> Vec<Cell> {
    let t = &row.traveller;
    let exception = t.exception_kind.map(|kind| {
        let word = exception_word(kind, lang);
        let generated = t.exception_message.as_ref().map(|m| {
            let lang = match lang {
                HeaderLanguage::Zh => crate::catalogue::Lang::Zh,
                HeaderLanguage::En => crate::catalogue::Lang::En,
            };
            crate::catalogue::render_stored(lang, &m.0)
        });
        match t.exception_reason.clone().or(generated) {
            Some(reason) if !reason.is_empty() => format!("{word}: {reason}"),
            _ => word.to_owned(),
        }
    });
    let handoff = |step: &Option<crate::store::roster::HandoffStep>| {
        [
            time(step.as_ref().map(|s| s.sent_at)),
            time(step.as_ref().and_then(|s| s.confirmed_at)),
            text(step.as_ref().and_then(|s| s.confirmed_by.clone())),
        ]
    };
    let mut cells = vec![
        text(Some(t.full_name.clone())),
        text(Some(document_word(t.document_type, lang).to_owned())),
        text(Some(t.document_no.clone())),
        text(Some(t.nationality.clone())),
        text(t.phone.clone()),
        text(t.flight_no.clone()),
        text(Some(row.port.clone())),
        time(Some(t.arrived_at)),
        text(Some(row.district.clone())),
        text(row.community.clone()),
        text(row.batch_code.clone()),
        text(row.vehicle_plate.clone()),
        text(row.driver.clone()),
        time(row.departed_at),
        time(row.batch_arrived_at),
    ];
    cells.extend(handoff(&row.district_handoff));
    cells.extend(handoff(&row.community_handoff));
    cells.push(text(Some(status_word(t.status, lang).to_owned())));
    cells.push(text(Some(row.custodian.clone())));
    cells.push(text(exception));
    cells.push(text(t.address.clone()));
    cells.push(text(t.language.map(|l| language_word(l, lang).to_owned())));
    cells.push(text(t.notes.clone()));
    cells.push(time(t.missing_since));
    cells
}

fn language_word(language: Language, lang: HeaderLanguage) -> &'static str {
    match (lang, language) {
        (HeaderLanguage::En, Language::Zh) => "Chinese",
        (HeaderLanguage::En, Language::En) => "English",
        (HeaderLanguage::En, Language::Ja) => "Japanese",
        (HeaderLanguage::En, Language::Ko) => "Korean",
        (HeaderLanguage::Zh, Language::Zh) => "中文",
        (HeaderLanguage::Zh, Language::En) => "英文",
        (HeaderLanguage::Zh, Language::Ja) => "日文",
        (HeaderLanguage::Zh, Language::Ko) => "韩文",
    }
}

fn header(lang: HeaderLanguage) -> impl Iterator<Item = &'static str> {
    COLUMNS.iter().map(move |(en, zh, _)| match lang {
        HeaderLanguage::En => *en,
        HeaderLanguage::Zh => *zh,
    })
}

/// A CSV cell that a spreadsheet program would read as a formula gets a leading `'`.
pub fn defuse(value: &str) -> std::borrow::Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}").into()
    } else {
        value.into()
    }
}

/// The roster as CSV, written a page at a time: UTF-8 with a byte-order mark, then the header
/// row, then the rows.
pub struct CsvRoster {
    lang: HeaderLanguage,
    started: bool,
}

impl CsvRoster {
    pub fn new(lang: HeaderLanguage) -> CsvRoster {
        CsvRoster { lang, started: false }
    }

    /// The bytes of these rows (after the header, the first time).
    pub fn chunk(&mut self, rows: &[RosterRow]) -> csv::Result<Vec<u8>> {
        let start = if self.started {
            Vec::new()
        } else {
            UTF8_BOM.to_vec()
        };
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(start);
        if !self.started {
            writer.write_record(header(self.lang))?;
            self.started = true;
        }
        for row in rows {
            let record = cells(row, self.lang).into_iter().map(|cell| match cell {
                Cell::Text(value) => defuse(&value).into_owned(),
                Cell::Time(at) => at.format("%Y-%m-%d %H:%M").to_string(),
                Cell::Empty => String::new(),
            });
            writer.write_record(record)?;
        }
        writer.into_inner().map_err(|e| e.into_error().into())
    }
}

/// The roster as an XLSX workbook, its rows written to disk as they come (constant memory): dates
/// as dates, every string a string cell, the header frozen, widths that fit and an autofilter.
pub struct XlsxRoster {
    workbook: Workbook,
    lang: HeaderLanguage,
    rows: u32,
    date: Format,
}

impl XlsxRoster {
    pub fn new(lang: HeaderLanguage) -> Result<XlsxRoster, XlsxError> {
        let mut workbook = Workbook::new();
        // The level Excel itself saves with: a quarter of the building time went to compressing at
        // the default level 6, which made a roster of 120,000 rows 9.0 MiB instead of 11.5.
        workbook.set_zip_compression_level(3);
        let bold = Format::new().set_bold();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(match lang {
            HeaderLanguage::En => "roster",
            HeaderLanguage::Zh => "转运人员",
        })?;
        for (col, (_, _, width)) in COLUMNS.iter().enumerate() {
            sheet.set_column_width(col as u16, *width)?;
        }
        for (col, name) in header(lang).enumerate() {
            sheet.write_string_with_format(0, col as u16, name, &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(XlsxRoster {
            workbook,
            lang,
            rows: 0,
            date: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        })
    }

    pub fn push(&mut self, row: &RosterRow) -> Result<(), XlsxError> {
        self.rows += 1;
        let r = self.rows;
        let sheet = self.workbook.worksheet_from_index(0)?;
        for (col, cell) in cells(row, self.lang).into_iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Text(value) => {
                    sheet.write_string(r, col, value)?;
                }
                Cell::Time(at) => {
                    sheet.write_datetime_with_format(r, col, at, &self.date)?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    }

    /// The finished workbook.
    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        let last = COLUMNS.len() as u16 - 1;
        let rows = self.rows;
        self.workbook
            .worksheet_from_index(0)?
            .autofilter(0, 0, rows.max(1), last)?;
        self.workbook.save_to_buffer()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        for bad in ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(bad), format!("'{bad}"));
        }
        assert_eq!(defuse("Li Wei"), "Li Wei");
        assert_eq!(defuse("李伟=1"), "李伟=1");
    }
}
