//! Notices to travellers: one printable A4 page per traveller in their own language (Chinese,
//! English, Japanese, Korean), written with Project Fluent. The texts are resource files
//! (`assets/notices/{lang}/notice.ftl`) built into the binary; an operator overrides any message
//! without a new build by putting `{lang}/notice.ftl` or `{lang}.ftl` in `notices.dir`.

use std::path::Path;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

use crate::domain::traveller::Language;

const EMBEDDED: [(Language, &str); 4] = [
    (Language::Zh, include_str!("../assets/notices/zh/notice.ftl")),
    (Language::En, include_str!("../assets/notices/en/notice.ftl")),
    (Language::Ja, include_str!("../assets/notices/ja/notice.ftl")),
    (Language::Ko, include_str!("../assets/notices/ko/notice.ftl")),
];

/// The messages every notice uses; each language must have them all.
const MESSAGES: [&str; 23] = [
    "notice-title",
    "greeting",
    "intro",
    "label-batch",
    "label-vehicle",
    "label-district",
    "label-community",
    "label-hotline",
    "value-pending",
    "way-heading",
    "way-1",
    "way-2",
    "way-3",
    "way-4",
    "arrival-heading",
    "arrival-1",
    "arrival-2",
    "arrival-3",
    "hotline-line",
    "hotline-missing",
    "closing",
    "issued-by",
    "language-name",
];

/// The texts of the notices, one bundle per language.
pub struct Notices {
    bundles: Vec<(Language, FluentBundle<FluentResource>)>,
}

/// What one traveller's notice says.
#[derive(Debug, Clone)]
pub struct NoticeData {
    pub language: Language,
    pub name: String,
    pub batch_code: Option<String>,
    pub vehicle_plate: Option<String>,
    pub district: String,
    pub community: Option<String>,
    pub city: String,
    pub hotline: Option<String>,
}

fn parse(source: String, origin: &str) -> Result<FluentResource, String> {
    FluentResource::try_new(source).map_err(|(_, errors)| {
        format!(
            "{origin} is not valid Fluent: {}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

impl Notices {
    /// The built-in texts, each message overridden by the operator's files in `dir`, if any.
    pub fn load(dir: Option<&Path>) -> Result<Notices, String> {
        let mut bundles = Vec::new();
        for (language, source) in EMBEDDED {
            let id = language
                .as_str()
                .parse()
                .map_err(|e| format!("language {language}: {e}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Plain text goes into HTML: no bidirectional isolation marks around values.
            bundle.set_use_isolating(false);
            let embedded = parse(source.to_owned(), &format!("the built-in {language} notice"))?;
            bundle
                .add_resource(embedded)
                .map_err(|e| format!("the built-in {language} notice: {e:?}"))?;
            if let Some(dir) = dir {
                for path in [
                    dir.join(language.as_str()).join("notice.ftl"),
                    dir.join(format!("{language}.ftl")),
                ] {
                    if path.is_file() {
                        let text = std::fs::read_to_string(&path)
                            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                        let resource = parse(text, &path.display().to_string())?;
                        bundle.add_resource_overriding(resource);
                        tracing::info!(file = %path.display(), "notice texts overridden");
                    }
                }
            }
            for message in MESSAGES {
                if !bundle.has_message(message) {
                    return Err(format!("the {language} notice has no message {message}"));
                }
            }
            bundles.push((language, bundle));
        }
        Ok(Notices { bundles })
    }

    fn text(&self, language: Language, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let Some((_, bundle)) = self.bundles.iter().find(|(l, _)| *l == language) else {
            return String::new();
        };
        let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
            return String::new();
        };
        let mut errors = Vec::new();
        bundle.format_pattern(pattern, args, &mut errors).into_owned()
    }

    /// One traveller's notice, as a page of the document.
    fn page(&self, n: &NoticeData) -> String {
        let lang = n.language;
        let t = |id: &str| escape(&self.text(lang, id, None));
        let with = |id: &str, pairs: &[(&str, &str)]| {
            let mut args = FluentArgs::new();
            for (key, value) in pairs {
                args.set(*key, value.to_string());
            }
            escape(&self.text(lang, id, Some(&args)))
        };
        let pending = t("value-pending");
        let value = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_else(|| pending.clone());
        let hotline = match &n.hotline {
            Some(number) => with("hotline-line", &[("city", &n.city), ("hotline", number)]),
            None => t("hotline-missing"),
        };
        let list = |ids: &[&str]| {
            ids.iter()
                .map(|id| format!("<li>{}</li>", t(id)))
                .collect::<String>()
        };
        format!(
            r#"<section class="notice" lang="{lang}">
<h1>{title}</h1>
<p class="greeting">{greeting}</p>
<p>{intro}</p>
<table>
<tr><th>{l_batch}</th><td>{batch}</td></tr>
<tr><th>{l_vehicle}</th><td>{vehicle}</td></tr>
<tr><th>{l_district}</th><td>{district}</td></tr>
<tr><th>{l_community}</th><td>{community}</td></tr>
<tr><th>{l_hotline}</th><td class="hotline">{hotline_number}</td></tr>
</table>
<h2>{way}</h2>
<ol>{way_items}</ol>
<h2>{arrival}</h2>
<ol>{arrival_items}</ol>
<p class="hotline">{hotline}</p>
<p>{closing}</p>
<p class="signature">{issued_by}</p>
</section>
"#,
            lang = lang.as_str(),
            title = t("notice-title"),
            greeting = with("greeting", &[("name", &n.name)]),
            intro = t("intro"),
            l_batch = t("label-batch"),
            batch = value(&n.batch_code),
            l_vehicle = t("label-vehicle"),
            vehicle = value(&n.vehicle_plate),
            l_district = t("label-district"),
            district = escape(&n.district),
            l_community = t("label-community"),
            community = value(&n.community),
            l_hotline = t("label-hotline"),
            hotline_number = value(&n.hotline),
            way = t("way-heading"),
            way_items = list(&["way-1", "way-2", "way-3", "way-4"]),
            arrival = t("arrival-heading"),
            arrival_items = list(&["arrival-1", "arrival-2", "arrival-3"]),
            closing = t("closing"),
            issued_by = with("issued-by", &[("city", &n.city)]),
        )
    }

    /// A printable HTML document with one A4 page per notice.
    pub fn document(&self, notices: &[NoticeData]) -> String {
        let title = notices
            .first()
            .map(|n| escape(&self.text(n.language, "notice-title", None)))
            .unwrap_or_default();
        let pages: String = notices.iter().map(|n| self.page(n)).collect();
        format!(
            r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
@page {{ size: A4; margin: 18mm 16mm; }}
body {{ margin: 0; color: #000; background: #fff; font-family: "Noto Sans CJK SC", "Source Han Sans", "Microsoft YaHei", "PingFang SC", "Hiragino Sans", "Malgun Gothic", "Noto Sans", Arial, sans-serif; font-size: 11.5pt; line-height: 1.55; }}
.notice {{ max-width: 178mm; margin: 0 auto; padding: 6mm 0; page-break-after: always; break-after: page; }}
.notice:last-child {{ page-break-after: auto; break-after: auto; }}
h1 {{ font-size: 17pt; text-align: center; margin: 0 0 5mm; }}
h2 {{ font-size: 12.5pt; margin: 5mm 0 1.5mm; border-bottom: 0.3mm solid #000; }}
table {{ border-collapse: collapse; width: 100%; margin: 3mm 0; }}
th, td {{ border: 0.3mm solid #000; padding: 1.5mm 3mm; text-align: left; vertical-align: top; }}
th {{ width: 38%; font-weight: 600; background: #eee; }}
ol {{ margin: 0; padding-left: 7mm; }}
.hotline {{ font-weight: 700; }}
.signature {{ text-align: right; margin-top: 6mm; }}
@media screen {{ body {{ background: #ddd; }} .notice {{ background: #fff; padding: 14mm 16mm; margin: 8mm auto; box-shadow: 0 0 2mm #999; }} }}
</style>
</head>
<body>
{pages}</body>
</html>
"#,
            lang = notices.first().map_or("zh", |n| n.language.as_str()),
        )
    }
}

/// Text made safe inside HTML elements and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(language: Language) -> NoticeData {
        NoticeData {
            language,
            name: "<script>alert(1)</script> & Co".into(),
            batch_code: Some("PVG-20200307-001".into()),
            vehicle_plate: None,
            district: "天宁区".into(),
            community: Some("红梅街道".into()),
            city: "常州市".into(),
            hotline: Some("0519-12345".into()),
        }
    }

    #[test]
    fn every_language_has_every_message_and_values_are_escaped() {
        let notices = Notices::load(None).unwrap();
        for language in Language::ALL {
            let html = notices.document(&[data(*language)]);
            assert!(!html.contains("<script>"), "{language}");
            assert!(
                html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"),
                "{language}"
            );
            assert!(html.contains("0519-12345") && html.contains("PVG-20200307-001"));
            assert!(!html.contains('\u{2068}'), "no isolation marks");
        }
    }

    #[test]
    fn an_operator_file_overrides_one_message_and_keeps_the_rest() {
        let dir = std::env::temp_dir().join(format!("notices-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("en")).unwrap();
        std::fs::write(
            dir.join("en/notice.ftl"),
            "way-1 = Keep your mask on; windows stay shut.\n",
        )
        .unwrap();
        let notices = Notices::load(Some(&dir)).unwrap();
        let html = notices.document(&[data(Language::En)]);
        assert!(html.contains("Keep your mask on; windows stay shut."));
        assert!(html.contains("On arrival"), "the other messages stay built in");
        std::fs::write(dir.join("ko.ftl"), "way-1 = { broken").unwrap();
        assert!(
            Notices::load(Some(&dir)).is_err(),
            "a broken override stops the start"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
