//! The traveller's fields as files carry them: one list for the manifest, its template and the
//! roster. Each field has its name (the JSON field's, and the English header), its Chinese header,
//! the other headings airports give it, and what the template says of it.

/// A traveller's field in a file.
pub struct Field {
    /// The field's name: the JSON field's, and the English header.
    pub name: &'static str,
    /// The Chinese header.
    pub zh: &'static str,
    /// Whether every manifest must have the column.
    pub required: bool,
    /// Other headings that mean this field, as `heading_key` writes them.
    pub aliases: &'static [&'static str],
    /// What the template says of the column, in English and in Chinese.
    pub explain: [&'static str; 2],
}

/// The traveller's fields of a manifest, in the template's order. The roster's first columns
/// are the same fields (with the port and the community by name).
pub const FIELDS: [Field; 12] = [
    Field {
        name: "full_name",
        zh: "姓名",
        required: true,
        aliases: &["name", "passengername", "travellername", "travelername", "旅客姓名", "乘客姓名", "人员姓名", "名字"],
        explain: ["As in the travel document.", "与证件一致。"],
    },
    Field {
        name: "document_type",
        zh: "证件类型",
        required: true,
        aliases: &["doctype", "idtype", "证件种类", "证件类别", "证件名称"],
        explain: [
            "passport, id_card, travel_permit or other; 护照, 身份证, 港澳通行证, 台胞证 and the like are read too.",
            "护照、身份证、港澳通行证、台胞证、其他等，也可填英文 passport、id_card、travel_permit、other。",
        ],
    },
    Field {
        name: "document_no",
        zh: "证件号码",
        required: true,
        aliases: &[
            "documentnumber", "docno", "passportno", "passportnumber", "idno", "idnumber", "证件号", "护照号码",
            "护照号", "身份证号", "身份证号码",
        ],
        explain: ["Letters, digits and '-'.", "字母、数字和“-”。"],
    },
    Field {
        name: "nationality",
        zh: "国籍",
        required: true,
        aliases: &["country", "citizenship", "国家", "国家地区", "国籍地区"],
        explain: [
            "The country: its ISO code (CHN, CN) or its name in Chinese or English (中国, United Kingdom).",
            "国家或地区：ISO 代码（CHN、CN）或中英文名称（中国、United Kingdom）。",
        ],
    },
    Field {
        name: "phone",
        zh: "电话",
        required: false,
        aliases: &[
            "mobile", "mobileno", "mobilephone", "telephone", "tel", "phonenumber", "contactnumber", "联系电话",
            "手机号", "手机号码", "手机", "联系方式",
        ],
        explain: ["Digits, spaces, '-' and a leading '+'.", "数字、空格、“-”，可以“+”开头。"],
    },
    Field {
        name: "flight_no",
        zh: "航班号",
        required: false,
        aliases: &["flight", "flightnumber", "航班", "航班号码", "航班车次"],
        explain: ["For example MU5001.", "例如 MU5001。"],
    },
    Field {
        name: "port_code",
        zh: "入境口岸",
        required: true,
        aliases: &["port", "portofentry", "entryport", "口岸", "入境口岸代码", "口岸代码"],
        explain: [
            "The port's code or name (see the list of ports).",
            "口岸代码或名称（见口岸列表）。",
        ],
    },
    Field {
        name: "arrived_at",
        zh: "入境时间",
        required: true,
        aliases: &[
            "arrivaltime", "arrival", "arrivaldate", "entrytime", "landingtime", "抵达时间", "到达时间", "落地时间",
            "入境日期", "抵达日期",
        ],
        explain: [
            "A date and time, local unless a zone is given: 2026-03-07 08:30, 2026/3/7 8:30, 2026年3月7日 8时30分, or a date cell.",
            "日期和时间，未注明时区即为本地时间：2026-03-07 08:30、2026/3/7 8:30、2026年3月7日 8时30分，或日期单元格。",
        ],
    },
    Field {
        name: "destination_community_code",
        zh: "目的社区",
        required: true,
        aliases: &[
            "destinationcommunity", "community", "communitycode", "destination", "社区", "目的地", "目的地社区",
            "社区代码", "目的社区代码", "居住社区", "所属社区",
        ],
        explain: [
            "The community's code or name (see the list of communities).",
            "社区代码或名称（见社区列表）。",
        ],
    },
    Field {
        name: "address",
        zh: "住址",
        required: false,
        aliases: &["homeaddress", "地址", "居住地址", "详细地址", "家庭住址"],
        explain: ["Where the traveller will stay.", "入境后居住的地址。"],
    },
    Field {
        name: "language",
        zh: "语言",
        required: false,
        aliases: &["语种"],
        explain: [
            "The notice's language: zh, en, ja or ko (中文, 英文, 日文, 韩文).",
            "告知书语言：zh、en、ja、ko（中文、英文、日文、韩文）。",
        ],
    },
    Field {
        name: "notes",
        zh: "备注",
        required: false,
        aliases: &["note", "remarks", "remark", "说明"],
        explain: ["Anything the officers should know.", "需要工作人员知道的其他情况。"],
    },
];

pub use crate::domain::written_key as heading_key;

/// The field a heading means, by its name, its Chinese header or another heading of it.
pub fn field_of_heading(heading: &str) -> Option<usize> {
    let key = heading_key(heading);
    if key.is_empty() {
        return None;
    }
    FIELDS.iter().position(|f| {
        heading_key(f.name) == key
            || heading_key(f.zh) == key
            || f.aliases.iter().any(|a| heading_key(a) == key)
    })
}

/// The position of a field by name, after every field for another name (a problem of a whole
/// row, say).
pub fn position_of(name: &str) -> usize {
    FIELDS.iter().position(|f| f.name == name).unwrap_or(FIELDS.len())
}

/// The position of a field by name.
pub fn position(name: &str) -> usize {
    FIELDS
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no traveller field {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_read_by_meaning() {
        let field = |h: &str| field_of_heading(h).map(|k| FIELDS[k].name);
        assert_eq!(field("姓名"), Some("full_name"));
        assert_eq!(field("旅客姓名"), Some("full_name"));
        assert_eq!(field("Passenger name"), Some("full_name"));
        assert_eq!(field("Passport No."), Some("document_no"));
        assert_eq!(field("ＰＡＳＳＰＯＲＴ　ＮＯ"), Some("document_no"));
        assert_eq!(field("证件号码："), Some("document_no"));
        assert_eq!(field("联系电话"), Some("phone"));
        assert_eq!(field("Mobile"), Some("phone"));
        assert_eq!(field("抵达时间"), Some("arrived_at"));
        assert_eq!(field("Arrival time"), Some("arrived_at"));
        assert_eq!(field("目的地"), Some("destination_community_code"));
        assert_eq!(field("口岸"), Some("port_code"));
        assert_eq!(field("port_code"), Some("port_code"));
        assert_eq!(field("序号"), None);
        assert_eq!(field("性别"), None);
        assert_eq!(field(" "), None);
    }

    #[test]
    fn no_heading_means_two_fields() {
        let mut seen = std::collections::HashMap::new();
        for (k, f) in FIELDS.iter().enumerate() {
            for h in [f.name, f.zh].iter().chain(f.aliases) {
                if let Some(other) = seen.insert(heading_key(h), k) {
                    assert_eq!(other, k, "{h} means two fields");
                }
            }
        }
    }
}
