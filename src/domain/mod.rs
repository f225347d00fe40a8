//! The pure domain: kinds, levels, roles and state machines, with no I/O. Everything here is
//! unit-tested; the storage and HTTP layers only call it.

pub mod access;
pub mod batch;
pub mod handoff;
pub mod loose_end;
pub mod message;
pub mod traveller;
pub mod vehicle;

use serde::{Deserialize, Serialize};

use message::{msg, Message};

/// Declares a closed set of snake_case words stored as text and spoken in JSON; an unknown word
/// read from the database is an error. The words are
/// taken as `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped in an invisible
/// group, which `utoipa::ToSchema` does not read as a serde rename.
macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            Serialize,
            Deserialize,
            utoipa::ToSchema,
            diesel::AsExpression,
            diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $(#[serde(rename = $word)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word),+
                }
            }

            pub fn parse(word: &str) -> Option<Self> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::db::types::stored_as_text!($name);
    };
}
pub(crate) use word_enum;

/// Why the rules refuse a step: the one answer of every state machine in the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The step does not apply in this status: "a batch that is closed cannot depart".
    WrongStatus {
        subject: &'static str,
        status: &'static str,
        step: &'static str,
    },
    /// Too many wrong codes were typed: the sender must cancel and hand again.
    Locked,
    /// A vehicle out of service cannot be assigned.
    OutOfService,
}

impl Refusal {
    /// What the refusal says: `wrong_status` with `{resource, status, action}`, `handoff_locked`,
    /// `vehicle_out_of_service`.
    pub fn message(&self) -> Message {
        match self {
            Refusal::WrongStatus {
                subject,
                status,
                step,
            } => msg!("wrong_status", resource = subject, status = status, action = step),
            Refusal::Locked => msg!("handoff_locked"),
            Refusal::OutOfService => msg!("vehicle_out_of_service"),
        }
    }
}

word_enum!(
    /// A level of the organisation tree.
    UnitLevel { City => "city", District => "district", Community => "community" }
);

word_enum!(
    Role {
        Admin => "admin",
        Dispatcher => "dispatcher",
        DistrictOfficer => "district_officer",
        CommunityOfficer => "community_officer",
        Viewer => "viewer",
    }
);

word_enum!(
    PortKind { Airport => "airport", Seaport => "seaport", Land => "land", Rail => "rail" }
);

word_enum!(
    VehicleKind { Bus => "bus", Minibus => "minibus", Car => "car", Ambulance => "ambulance" }
);

impl UnitLevel {
    /// The level a unit's parent must have; a city has none.
    pub fn parent_level(self) -> Option<UnitLevel> {
        match self {
            UnitLevel::City => None,
            UnitLevel::District => Some(UnitLevel::City),
            UnitLevel::Community => Some(UnitLevel::District),
        }
    }
}

impl Role {
    /// Whether a user of this role may have a home unit of this level (`None`: no unit).
    pub fn fits_unit_level(self, level: Option<UnitLevel>) -> bool {
        match self {
            Role::Admin => level.is_none(),
            Role::Dispatcher => level == Some(UnitLevel::City),
            Role::DistrictOfficer => level == Some(UnitLevel::District),
            Role::CommunityOfficer => level == Some(UnitLevel::Community),
            Role::Viewer => level.is_some(),
        }
    }

    /// The level of home unit a user of this role needs: `none`, a level, or `any`.
    pub fn expected_unit(self) -> &'static str {
        match self {
            Role::Admin => "none",
            Role::Dispatcher => "city",
            Role::DistrictOfficer => "district",
            Role::CommunityOfficer => "community",
            Role::Viewer => "any",
        }
    }
}

/// Unit codes: short, upper-case letters, digits and dashes, e.g. `CZ`, `CZ-WJ`, `CZ-WJ-01`.
pub fn valid_unit_code(code: &str) -> bool {
    (1..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !code.starts_with('-')
}

/// Port codes: the IATA code (three capital letters) for airports, two to ten capitals or digits
/// for the other kinds.
pub fn valid_port_code(kind: PortKind, code: &str) -> bool {
    match kind {
        PortKind::Airport => code.len() == 3 && code.chars().all(|c| c.is_ascii_uppercase()),
        _ => {
            (2..=10).contains(&code.len())
                && code.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        }
    }
}

/// Usernames: 3 to 64 of lower-case letters, digits, dot, dash and underscore.
pub fn valid_username(name: &str) -> bool {
    (3..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
}

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 256;

pub fn password_problem(password: &str) -> Option<Message> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Some(msg!("too_short", min_length = MIN_PASSWORD_CHARS))
    } else if chars > MAX_PASSWORD_CHARS {
        Some(msg!("too_long", max_length = MAX_PASSWORD_CHARS))
    } else {
        None
    }
}

/// A required human-readable text: trimmed, not empty, at most `max` characters.
pub fn clean_text(value: &str, max: usize) -> Result<String, Message> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        Err(msg!("required"))
    } else if trimmed.chars().count() > max {
        Err(msg!("too_long", max_length = max))
    } else if trimmed.chars().any(|c| c.is_control()) {
        Err(msg!("control_characters"))
    } else {
        Ok(trimmed.to_owned())
    }
}

/// A required text of several lines (a reason): trimmed, not empty, tabs and line breaks allowed.
pub fn clean_multi_line(value: &str, max: usize) -> Result<String, Message> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(msg!("required"));
    }
    multi_line_problem(trimmed, max).map(|()| trimmed.to_owned())
}

/// A text of several lines (an address, notes): at most `max` characters, and no control
/// characters but tabs and line breaks.
pub fn multi_line_problem(value: &str, max: usize) -> Result<(), Message> {
    if value.chars().count() > max {
        Err(msg!("too_long", max_length = max))
    } else if value
        .chars()
        .any(|c| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        Err(msg!("control_characters_multi_line"))
    } else {
        Ok(())
    }
}

/// A heading or a written value as it is compared: full-width forms as their ASCII, lower case,
/// without spaces or punctuation (`护照号码：`, `Passport No.` and `ＰＡＳＳＰＯＲＴ　ＮＯ` alike).
pub fn written_key(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for level in UnitLevel::ALL {
            assert_eq!(UnitLevel::parse(level.as_str()), Some(*level));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(
            serde_json::to_string(&Role::DistrictOfficer).unwrap(),
            "\"district_officer\""
        );
    }

    #[test]
    fn each_level_has_its_parent_level() {
        assert_eq!(UnitLevel::City.parent_level(), None);
        assert_eq!(UnitLevel::District.parent_level(), Some(UnitLevel::City));
        assert_eq!(UnitLevel::Community.parent_level(), Some(UnitLevel::District));
    }

    #[test]
    fn roles_fit_only_their_unit_level() {
        use UnitLevel::*;
        let cases = [
            (Role::Admin, None, true),
            (Role::Admin, Some(City), false),
            (Role::Dispatcher, Some(City), true),
            (Role::Dispatcher, Some(District), false),
            (Role::Dispatcher, None, false),
            (Role::DistrictOfficer, Some(District), true),
            (Role::DistrictOfficer, Some(Community), false),
            (Role::CommunityOfficer, Some(Community), true),
            (Role::CommunityOfficer, Some(City), false),
            (Role::Viewer, Some(City), true),
            (Role::Viewer, Some(Community), true),
            (Role::Viewer, None, false),
        ];
        for (role, level, fits) in cases {
            assert_eq!(role.fits_unit_level(level), fits, "{role} with {level:?}");
        }
    }

    #[test]
    fn codes_and_usernames() {
        assert!(valid_unit_code("CZ-WJ-01"));
        assert!(!valid_unit_code("cz"));
        assert!(!valid_unit_code(""));
        assert!(!valid_unit_code("-CZ"));
        assert!(valid_port_code(PortKind::Airport, "PVG"));
        assert!(!valid_port_code(PortKind::Airport, "PVGX"));
        assert!(!valid_port_code(PortKind::Airport, "pvg"));
        assert!(valid_port_code(PortKind::Rail, "SHHQ1"));
        assert!(valid_username("cz.dispatcher"));
        assert!(!valid_username("Admin"));
        assert!(!valid_username("ab"));
    }

    #[test]
    fn passwords_and_texts() {
        assert!(password_problem("short").is_some());
        assert!(password_problem("long enough!").is_none());
        assert!(password_problem(&"x".repeat(300)).is_some());
        assert_eq!(clean_text("  Wujin  ", 10).unwrap(), "Wujin");
        assert!(clean_text("   ", 10).is_err());
        assert!(clean_text("abcdefghijk", 10).is_err());
        assert!(clean_text("a\u{7}b", 10).is_err());
    }
}
