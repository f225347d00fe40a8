//! Values as people write them in the manifests airports send: document types and languages in
//! Chinese or English, nationalities by ISO code or by the country's name, and times in the
//! common written forms or as spreadsheet dates. Each reader returns the value in the service's
//! own words, or the text as written when it does not know it (the checks then say what is wrong).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};

use super::fields::heading_key;
use crate::domain::traveller::{DocumentType, Language};

/// A document type by its word or a common name of it.
pub fn document_type(text: &str) -> Result<DocumentType, String> {
    let key = heading_key(text);
    let kind = match key.as_str() {
        "passport" | "护照" | "普通护照" | "外交护照" | "公务护照" | "pp" => {
            DocumentType::Passport
        }
        "idcard" | "id" | "身份证" | "居民身份证" | "二代身份证" | "中国居民身份证" => {
            DocumentType::IdCard
        }
        "travelpermit"
        | "permit"
        | "港澳通行证"
        | "往来港澳通行证"
        | "台胞证"
        | "台湾居民来往大陆通行证"
        | "港澳居民来往内地通行证"
        | "回乡证"
        | "大陆居民往来台湾通行证"
        | "通行证" => DocumentType::TravelPermit,
        "other" | "others" | "其他" | "其它" => DocumentType::Other,
        _ => return DocumentType::parse(text.trim()).ok_or_else(|| text.trim().to_owned()),
    };
    Ok(kind)
}

/// A notice's language by its code or its name.
pub fn language(text: &str) -> Result<Language, String> {
    let key = heading_key(text);
    let language = match key.as_str() {
        "zh" | "中文" | "汉语" | "普通话" | "chinese" | "简体中文" => Language::Zh,
        "en" | "英文" | "英语" | "english" => Language::En,
        "ja" | "日文" | "日语" | "japanese" => Language::Ja,
        "ko" | "韩文" | "韩语" | "朝鲜语" | "korean" => Language::Ko,
        _ => return Err(text.trim().to_owned()),
    };
    Ok(language)
}

/// Every ISO 3166-1 country by each way of writing it (`heading_key` of its alpha-3 and alpha-2
/// codes, its English names and its Chinese name), from the data of `assets/countries`, and the
/// alpha-3 code it means.
static COUNTRIES: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let codes: Vec<Vec<String>> =
        serde_json::from_str(include_str!("../../assets/countries/codes.json")).expect("country codes");
    let names = |json: &str| -> HashMap<String, serde_json::Value> {
        let file: serde_json::Value = serde_json::from_str(json).expect("country names");
        serde_json::from_value(file["countries"].clone()).expect("country names")
    };
    let en = names(include_str!("../../assets/countries/en.json"));
    let zh = names(include_str!("../../assets/countries/zh.json"));
    let mut by_key = HashMap::new();
    for code in &codes {
        let (alpha2, alpha3) = (&code[0], &code[1]);
        let mut written = vec![alpha2.clone(), alpha3.clone()];
        for names in [&en, &zh] {
            match names.get(alpha2) {
                Some(serde_json::Value::String(name)) => written.push(name.clone()),
                Some(serde_json::Value::Array(list)) => {
                    written.extend(list.iter().filter_map(|n| n.as_str().map(str::to_owned)))
                }
                _ => {}
            }
        }
        for text in written {
            by_key.entry(heading_key(&text)).or_insert_with(|| alpha3.clone());
        }
    }
    // Names people often write that the data spells otherwise.
    for (text, alpha3) in [
        ("中华人民共和国", "CHN"),
        ("中国大陆", "CHN"),
        ("美利坚合众国", "USA"),
        ("大不列颠及北爱尔兰联合王国", "GBR"),
        ("英格兰", "GBR"),
        ("台湾", "TWN"),
        ("中国台湾", "TWN"),
        ("香港", "HKG"),
        ("中国香港", "HKG"),
        ("澳门", "MAC"),
        ("中国澳门", "MAC"),
        ("南韩", "KOR"),
        ("大韩民国", "KOR"),
        ("朝鲜", "PRK"),
        ("俄国", "RUS"),
        ("俄罗斯联邦", "RUS"),
        ("South Korea", "KOR"),
        ("Korea", "KOR"),
        ("Russia", "RUS"),
        ("Vietnam", "VNM"),
        ("Iran", "IRN"),
        ("Hong Kong", "HKG"),
        ("Macau", "MAC"),
        ("Taiwan", "TWN"),
    ] {
        by_key
            .entry(heading_key(text))
            .or_insert_with(|| alpha3.to_owned());
    }
    by_key
});

/// A nationality as its ISO 3166-1 alpha-3 code, from any code or name of the country; the text
/// as written (in capitals) when no country is written so.
pub fn nationality(text: &str) -> String {
    COUNTRIES
        .get(&heading_key(text))
        .cloned()
        .unwrap_or_else(|| text.trim().to_uppercase())
}

/// A time as `parse_time` reads it: a spreadsheet's date number becomes its date and time, and the
/// Chinese written form `2026年3月7日 8时30分` becomes `2026-3-7 8:30`; anything else is left as
/// written.
pub fn time(text: &str) -> String {
    let text = text.trim();
    if let Some(at) = spreadsheet_date(text) {
        return at;
    }
    if !text.contains('年') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '年' | '月' => out.push('-'),
            '日' | '号' => out.push(' '),
            '时' | '時' | '点' | '點' => out.push(':'),
            '分' | '秒' => {}
            c => out.push(c),
        }
    }
    // `8时` alone, or `8时30` without its minutes' sign.
    let out = out.trim().trim_end_matches(':').to_owned();
    match out.rsplit_once(' ') {
        Some((_, clock)) if !clock.contains(':') && !clock.is_empty() => format!("{out}:00"),
        _ => out,
    }
}

/// A spreadsheet's date number (days since 1899-12-30, the fraction the time of day) as a local
/// date and time, for the years 1990 to 2100.
fn spreadsheet_date(text: &str) -> Option<String> {
    let days: f64 = text.parse().ok()?;
    if !(32_874.0..=73_051.0).contains(&days) {
        return None;
    }
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_hms_opt(0, 0, 0)?;
    let seconds = (days * 86_400.0).round() as i64;
    Some(
        (epoch + Duration::seconds(seconds))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::traveller::parse_time;

    #[test]
    fn document_types_as_people_write_them() {
        assert_eq!(document_type("护照"), Ok(DocumentType::Passport));
        assert_eq!(document_type(" Passport "), Ok(DocumentType::Passport));
        assert_eq!(document_type("居民身份证"), Ok(DocumentType::IdCard));
        assert_eq!(document_type("往来港澳通行证"), Ok(DocumentType::TravelPermit));
        assert_eq!(document_type("台胞证"), Ok(DocumentType::TravelPermit));
        assert_eq!(document_type("其他"), Ok(DocumentType::Other));
        assert_eq!(document_type("id_card"), Ok(DocumentType::IdCard));
        assert_eq!(document_type("驾照"), Err("驾照".to_owned()));
    }

    #[test]
    fn every_iso_country_by_code_or_name() {
        assert_eq!(nationality("中国"), "CHN");
        assert_eq!(nationality("CN"), "CHN");
        assert_eq!(nationality("chn"), "CHN");
        assert_eq!(nationality("美国"), "USA");
        assert_eq!(nationality("United States"), "USA");
        assert_eq!(nationality("日本"), "JPN");
        assert_eq!(nationality("韩国"), "KOR");
        assert_eq!(nationality("英国"), "GBR");
        assert_eq!(nationality("United Kingdom"), "GBR");
        assert_eq!(nationality("德国"), "DEU");
        assert_eq!(nationality("Germany"), "DEU");
        assert_eq!(nationality("香港"), "HKG");
        assert_eq!(nationality("Narnia"), "NARNIA");
        // Every country of the data, by its Chinese name.
        let zh: serde_json::Value =
            serde_json::from_str(include_str!("../../assets/countries/zh.json")).unwrap();
        let codes: Vec<Vec<String>> =
            serde_json::from_str(include_str!("../../assets/countries/codes.json")).unwrap();
        assert!(codes.len() >= 249);
        for code in codes {
            let name = zh["countries"][&code[0]].as_str().unwrap();
            assert_eq!(nationality(name), code[1], "{name}");
        }
    }

    #[test]
    fn times_as_people_write_them() {
        let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
        let at = |text: &str| parse_time(&time(text), offset).map(|t| t.to_rfc3339());
        let expected = Some("2026-03-07T00:30:00+00:00".to_owned());
        assert_eq!(at("2026-03-07 08:30"), expected);
        assert_eq!(at("2026/3/7 8:30"), expected);
        assert_eq!(at("2026年3月7日 8时30分"), expected);
        assert_eq!(at("2026年3月7日8时30分"), expected);
        assert_eq!(at("2026年3月7日 8:30"), expected);
        assert_eq!(at("2026-03-07T08:30:00+08:00"), expected);
        assert_eq!(at("2026-03-07T00:30:00Z"), expected);
        // 2026-03-07 08:30 as a spreadsheet's date number.
        assert_eq!(at("46088.354166666664"), expected);
        assert_eq!(at("yesterday"), None);
    }

    #[test]
    fn languages_by_code_or_name() {
        assert_eq!(language("中文"), Ok(Language::Zh));
        assert_eq!(language("English"), Ok(Language::En));
        assert_eq!(language("ko"), Ok(Language::Ko));
        assert_eq!(language("klingon"), Err("klingon".to_owned()));
    }
}
