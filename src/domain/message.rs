//! What the service says about a problem, as data: the id of a message in the catalogues
//! (`assets/problems/{lang}/problems.ftl`) and its typed parameters. A client reads the id (an
//! error entry's `code`) and `params`; people read the message rendered in their language.

use serde_json::{Map, Value};

/// The variable parts of a message, as the typed values a client reads in `params`.
pub type Params = Map<String, Value>;

#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The message's id in every catalogue, snake_case; also the `code` of an error entry.
    pub id: &'static str,
    pub params: Params,
}

impl Message {
    pub fn new(id: &'static str, params: Params) -> Self {
        Self { id, params }
    }

    /// The message as it is stored where the service records it (a generated reason):
    /// `{"code", "params"}`.
    pub fn stored(&self) -> Value {
        serde_json::json!({"code": self.id, "params": self.params})
    }

    /// The same message with one more parameter.
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.insert(name.to_owned(), value.into());
        self
    }
}

/// A message of the catalogues: `msg!("too_long", max_length = 64)`.
macro_rules! msg {
    ($id:literal) => {
        $crate::domain::message::Message::new($id, ::serde_json::Map::new())
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {{
        let mut params = ::serde_json::Map::new();
        $(params.insert(stringify!($name).to_owned(), ::serde_json::json!($value));)+
        $crate::domain::message::Message::new($id, params)
    }};
}
pub(crate) use msg;
