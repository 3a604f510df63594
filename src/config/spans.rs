//! The rules file as parsed TOML with spans, so that a problem found by key
//! path (from the JSON schema or from a semantic check) can be pointed at by
//! line and column.

use std::ops::Range;

use serde_json::Value as Json;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::diagnostic::{KeyPath, Problem, Segment};

/// A parsed rules file that remembers where everything came from.
pub(crate) struct SpannedDocument<'i> {
    root: Spanned<DeTable<'i>>,
}

/// What a located path points at: the key that names a value, or the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Key,
    Value,
}

impl<'i> SpannedDocument<'i> {
    /// Parses TOML, reporting every syntax error the parser can recover
    /// from: the first ones located, and how many there are in all.
    pub(crate) fn parse(source: &'i str) -> Result<Self, (Vec<Problem>, usize)> {
        let (root, errors) = DeTable::parse_recoverable(source);
        if errors.is_empty() {
            return Ok(SpannedDocument { root });
        }
        let total = errors.len();
        // One more than the limit, so `check` can say there were more.
        let located = errors
            .into_iter()
            .take(crate::limits::MAX_PROBLEMS + 1)
            .map(|error| {
                let mut problem = Problem::error(KeyPath::root(), syntax_message(error.message()));
                problem.location = error.span().map(|span| super::Location::of(source, span));
                problem
            })
            .collect();
        Err((located, total))
    }

    /// The document as JSON, for schema validation.
    pub(crate) fn to_json(&self) -> Json {
        table_to_json(self.root.get_ref())
    }

    /// The byte range of the key or value at `path`. When the path does not
    /// exist all the way down, the deepest part that exists.
    pub(crate) fn span(&self, path: &KeyPath, part: Part) -> Option<Range<usize>> {
        let mut value: &Spanned<DeValue<'i>>;
        let mut found_key: Option<Range<usize>>;
        let mut segments = path.segments().iter();
        // The root is a table, not a value: take the first step by hand.
        match segments.next() {
            None => return Some(self.root.span()),
            Some(Segment::Index(_)) => return None,
            Some(Segment::Key(key)) => {
                let (k, v) = lookup(self.root.get_ref(), key)?;
                found_key = Some(k.span());
                value = v;
            }
        }
        for segment in segments {
            let next = match (segment, value.get_ref()) {
                (Segment::Key(key), DeValue::Table(table)) => lookup(table, key).map(|(k, v)| {
                    found_key = Some(k.span());
                    v
                }),
                (Segment::Index(index), DeValue::Array(array)) => {
                    let item = array.get(*index);
                    if item.is_some() {
                        found_key = None;
                    }
                    item
                }
                _ => None,
            };
            match next {
                Some(next) => value = next,
                None => break,
            }
        }
        match (part, found_key) {
            (Part::Key, Some(key)) => Some(key),
            _ => Some(value.span()),
        }
    }
}

fn lookup<'a, 'i>(
    table: &'a DeTable<'i>,
    key: &str,
) -> Option<(
    &'a Spanned<toml::de::DeString<'i>>,
    &'a Spanned<DeValue<'i>>,
)> {
    table.iter().find(|(k, _)| k.get_ref().as_ref() == key)
}

fn table_to_json(table: &DeTable<'_>) -> Json {
    Json::Object(
        table
            .iter()
            .map(|(k, v)| (k.get_ref().to_string(), value_to_json(v.get_ref())))
            .collect(),
    )
}

fn value_to_json(value: &DeValue<'_>) -> Json {
    match value {
        DeValue::String(s) => Json::String(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let digits = digits.trim_start_matches('+');
            let digits = match i.radix() {
                10 => digits.to_owned(),
                _ => digits.get(2..).unwrap_or("").to_owned(),
            };
            i64::from_str_radix(&digits, i.radix())
                .map(Json::from)
                // Out of range for i64: still a number to the schema.
                .unwrap_or_else(|_| Json::from(f64::MAX))
        }
        DeValue::Float(f) => f
            .as_str()
            .replace('_', "")
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        DeValue::Boolean(b) => Json::Bool(*b),
        DeValue::Datetime(d) => Json::String(d.to_string()),
        DeValue::Array(items) => {
            Json::Array(items.iter().map(|v| value_to_json(v.get_ref())).collect())
        }
        DeValue::Table(table) => table_to_json(table),
    }
}

/// The TOML parser's messages are terse and lower-case; say what happened
/// in a maintainer's words where we can.
fn syntax_message(message: &str) -> String {
    let message = message.trim();
    if message.starts_with("duplicate key") {
        return format!(
            "{message}: each key may appear only once in a table (a CI label is mapped twice?)"
        );
    }
    format!("invalid TOML: {message}")
}
