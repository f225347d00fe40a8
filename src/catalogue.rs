//! The service's own words about problems, in Chinese and English, written with Project Fluent
//! beside the notices' texts (`assets/problems/{lang}/problems.ftl`). A problem's `detail` and each
//! entry's `message` are rendered here in the language the request's `Accept-Language` prefers.

use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde_json::Value;

use crate::domain::message::{Message, Params};

pub const EN_SOURCE: &str = include_str!("../assets/problems/en/problems.ftl");
pub const ZH_SOURCE: &str = include_str!("../assets/problems/zh/problems.ftl");

/// The languages problems are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// The language an `Accept-Language` header prefers among Chinese and English: the one with
    /// the highest weight (the first of equals), English when it names neither.
    pub fn preferred(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "zh" => Lang::Zh,
                "en" => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::En, |(_, lang)| lang)
    }

    fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

struct Catalogue {
    en: FluentBundle<FluentResource>,
    zh: FluentBundle<FluentResource>,
}

fn bundle(lang: Lang, source: &str) -> FluentBundle<FluentResource> {
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(_, errors)| {
        panic!(
            "the {} problems catalogue is not valid Fluent: {errors:?}",
            lang.tag()
        )
    });
    let mut bundle = FluentBundle::new_concurrent(vec![lang.tag().parse().expect("a language tag")]);
    // Ids, codes and plates are written as they are, without isolation marks around them.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).unwrap_or_else(|errors| {
        panic!(
            "the {} problems catalogue repeats a message: {errors:?}",
            lang.tag()
        )
    });
    bundle
}

/// Built once from the catalogues compiled into the binary; read-only afterwards.
static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| Catalogue {
    en: bundle(Lang::En, EN_SOURCE),
    zh: bundle(Lang::Zh, ZH_SOURCE),
});

/// Fluent's arguments from a message's params: a nested object's fields become `name_field`
/// (`unit` → `unit_name`, `unit_hotline`), a list is written joined with commas.
fn arguments(params: &Params) -> FluentArgs<'static> {
    fn add(args: &mut FluentArgs<'static>, name: String, value: &Value) {
        match value {
            Value::Number(n) => {
                args.set(name, FluentValue::from(n.as_f64().unwrap_or_default()));
            }
            Value::String(s) => args.set(name, FluentValue::from(s.clone())),
            Value::Bool(b) => args.set(name, FluentValue::from(b.to_string())),
            Value::Null => args.set(name, FluentValue::from("")),
            Value::Array(items) => {
                let text = items
                    .iter()
                    .map(|v| match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                args.set(name, FluentValue::from(text));
            }
            Value::Object(fields) => {
                for (field, value) in fields {
                    add(args, format!("{name}_{field}"), value);
                }
            }
        }
    }
    let mut args = FluentArgs::new();
    for (name, value) in params {
        add(&mut args, name.clone(), value);
    }
    args
}

/// The message in this language; its id when a catalogue lacks it (a test keeps both complete).
pub fn render(lang: Lang, message: &Message) -> String {
    render_id(lang, message.id, &message.params)
}

/// A message stored as `{"code", "params"}` (a reason the service recorded), in this language.
pub fn render_stored(lang: Lang, stored: &Value) -> String {
    let id = stored["code"].as_str().unwrap_or_default();
    let params = stored["params"].as_object().cloned().unwrap_or_default();
    render_id(lang, id, &params)
}

fn render_id(lang: Lang, id: &str, params: &Params) -> String {
    let bundle = match lang {
        Lang::En => &CATALOGUE.en,
        Lang::Zh => &CATALOGUE.zh,
    };
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::error!(id, lang = lang.tag(), "a message is missing from its catalogue");
        return id.replace('_', " ");
    };
    let args = arguments(params);
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
    if !errors.is_empty() {
        tracing::error!(id, lang = lang.tag(), ?errors, "a message lacks a parameter");
    }
    text.into_owned()
}

/// A field's name for people: in Chinese, `field-NAME` of the catalogue where it has one (indices
/// and leading paths kept as written); in English, and for any other field, the name as the
/// request spelt it.
pub fn field_name(lang: Lang, field: &str) -> String {
    if lang == Lang::En {
        return field.to_owned();
    }
    let bundle = &CATALOGUE.zh;
    let last = field.rsplit('.').next().unwrap_or(field);
    let bare = last.split('[').next().unwrap_or(last);
    let named = bundle
        .get_message(&format!("field-{bare}"))
        .and_then(|m| m.value())
        .map(|pattern| bundle.format_pattern(pattern, None, &mut Vec::new()).into_owned());
    match named {
        Some(name) => field.replacen(bare, &name, 1),
        None => field.to_owned(),
    }
}

/// Every message id of a catalogue, with the variables its text uses (for the tests that keep the
/// two catalogues alike).
#[cfg(test)]
fn ids(source: &str) -> Vec<(String, Vec<String>)> {
    use fluent_syntax::ast;
    let resource = fluent_syntax::parser::parse(source).unwrap_or_else(|(r, _)| r);
    let mut found = Vec::new();
    for entry in resource.body {
        if let ast::Entry::Message(message) = entry {
            let mut variables = Vec::new();
            if let Some(pattern) = &message.value {
                pattern_variables(pattern, &mut variables);
            }
            variables.sort();
            variables.dedup();
            found.push((message.id.name.to_owned(), variables));
        }
    }
    found
}

#[cfg(test)]
fn pattern_variables(pattern: &fluent_syntax::ast::Pattern<&str>, out: &mut Vec<String>) {
    use fluent_syntax::ast::{Expression, InlineExpression, PatternElement};
    fn inline(expression: &InlineExpression<&str>, out: &mut Vec<String>) {
        if let InlineExpression::VariableReference { id } = expression {
            out.push(id.name.to_owned());
        }
        if let InlineExpression::Placeable { expression } = expression {
            expr(expression, out);
        }
    }
    fn expr(expression: &Expression<&str>, out: &mut Vec<String>) {
        match expression {
            Expression::Inline(i) => inline(i, out),
            Expression::Select { selector, variants } => {
                inline(selector, out);
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
        }
    }
    for element in &pattern.elements {
        if let PatternElement::Placeable { expression } = element {
            expr(expression, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preferred_language_follows_the_weights() {
        assert_eq!(Lang::preferred(None), Lang::En);
        assert_eq!(Lang::preferred(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::preferred(Some("en-GB,zh;q=0.5")), Lang::En);
        assert_eq!(Lang::preferred(Some("fr-FR, zh-Hans;q=0.3")), Lang::Zh);
        assert_eq!(Lang::preferred(Some("fr, de")), Lang::En);
        assert_eq!(Lang::preferred(Some("zh;q=0, en")), Lang::En);
        assert_eq!(Lang::preferred(Some("EN;q=0.4, ZH-tw;q=0.6")), Lang::Zh);
    }

    #[test]
    fn both_catalogues_say_the_same_messages_with_the_same_parameters() {
        let en = ids(EN_SOURCE);
        let zh: Vec<_> = ids(ZH_SOURCE)
            .into_iter()
            .filter(|(id, _)| !id.starts_with("field-"))
            .collect();
        let en_ids: Vec<_> = en.iter().map(|(id, _)| id.as_str()).collect();
        let zh_ids: Vec<_> = zh.iter().map(|(id, _)| id.as_str()).collect();
        for id in &en_ids {
            assert!(zh_ids.contains(id), "{id} is missing from the Chinese catalogue");
        }
        for id in &zh_ids {
            assert!(en_ids.contains(id), "{id} is missing from the English catalogue");
        }
        for (id, variables) in &en {
            let (_, zh_variables) = zh.iter().find(|(z, _)| z == id).unwrap();
            assert_eq!(variables, zh_variables, "{id} uses other parameters in Chinese");
        }
    }

    /// Every `msg!` of the service's source names a message both catalogues have, so no problem
    /// the service can answer lacks its words in either language.
    #[test]
    fn every_message_the_service_says_is_in_both_catalogues() {
        fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                }
            }
        }
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let en: Vec<String> = ids(EN_SOURCE).into_iter().map(|(id, _)| id).collect();
        let zh: Vec<String> = ids(ZH_SOURCE).into_iter().map(|(id, _)| id).collect();
        let mut used = 0;
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (at, _) in text.match_indices("msg!(") {
                let rest = text[at + 5..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                let id = &rest[..rest.find('"').unwrap()];
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                {
                    continue;
                }
                used += 1;
                for (lang, catalogue) in [("English", &en), ("Chinese", &zh)] {
                    assert!(
                        catalogue.iter().any(|c| c == id),
                        "{} says {id}, which the {lang} catalogue lacks",
                        file.display()
                    );
                }
            }
        }
        assert!(used > 100, "only {used} messages found in the source");
    }

    #[test]
    fn a_field_is_named_in_chinese() {
        assert_eq!(field_name(Lang::Zh, "crew[2].phone"), "crew[2].电话");
        assert_eq!(field_name(Lang::Zh, "traveller_ids[0]"), "人员[0]");
        assert_eq!(field_name(Lang::En, "traveller_ids[0]"), "traveller_ids[0]");
        assert_eq!(field_name(Lang::Zh, "unheard_of"), "unheard_of");
    }

    #[test]
    fn parameters_are_written_into_the_message() {
        use crate::domain::message::msg;
        let message = msg!("too_long", max_length = 64);
        assert_eq!(render(Lang::En, &message), "must be at most 64 characters");
        assert_eq!(render(Lang::Zh, &message), "最多 64 个字符");
    }
}
