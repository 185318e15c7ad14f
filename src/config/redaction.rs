//! `traceability.redaction.*`: which parts of a request may leave the process, named as Axway's
//! agents name them (TRACEABILITY_REDACTION_*), rules written as Axway users write them.

use serde::{de, Deserialize, Deserializer, Serialize};

/// Redaction of what events carry. The default shows nothing: every path segment is masked and
/// every query argument and header is removed; show rules let parts through.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionConfig {
    /// Path segments.
    pub path: PathRedaction,
    /// Query arguments (from execution logs).
    pub query_argument: KeyedRedaction,
    /// Request headers (from execution logs). Header names match case-insensitively.
    pub request_header: KeyedRedaction,
    /// Response headers (from execution logs). Header names match case-insensitively.
    pub response_header: KeyedRedaction,
    /// What replaces a masked part: 1-5 of letters, digits and - * # ^ ~ . { }
    /// (TRACEABILITY_REDACTION_MASKING_CHARACTERS).
    pub masking_characters: String,
}

impl Default for RedactionConfig {
    fn default() -> Self {
        RedactionConfig {
            path: PathRedaction::default(),
            query_argument: KeyedRedaction::default(),
            request_header: KeyedRedaction::default(),
            response_header: KeyedRedaction::default(),
            masking_characters: "{*}".into(),
        }
    }
}

/// `traceability.redaction.path.*`
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PathRedaction {
    /// A segment matching any `key_match` is shown; others become the masking characters
    /// (TRACEABILITY_REDACTION_PATH_SHOW, e.g. `[{keyMatch:".*"}]` to show every segment).
    pub show: Rules,
}

/// Query arguments or headers: `show` lets keys through, `sanitize` masks parts of their values.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct KeyedRedaction {
    /// A key matching any `key_match` is kept; all others are removed with their value
    /// (TRACEABILITY_REDACTION_{QUERYARGUMENT,REQUESTHEADER,RESPONSEHEADER}_SHOW).
    pub show: Rules,
    /// For a kept key matching `key_match`, every part of its value matching `value_match` is masked
    /// (TRACEABILITY_REDACTION_{QUERYARGUMENT,REQUESTHEADER,RESPONSEHEADER}_SANITIZE).
    pub sanitize: Rules,
}

/// One rule. Regular expressions match anywhere unless anchored with `^` / `$`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(alias = "keyMatch")]
    pub key_match: String,
    /// Only for `sanitize` rules.
    #[serde(alias = "valueMatch", default, skip_serializing_if = "String::is_empty")]
    pub value_match: String,
}

/// A list of rules: a YAML sequence of `{key_match: .., value_match: ..}`, or one string in the
/// form Axway's agents take from the environment: `[{keyMatch:"^id$"},{keyMatch:"x",valueMatch:".*"}]`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Rules(pub Vec<Rule>);

impl std::ops::Deref for Rules {
    type Target = [Rule];
    fn deref(&self) -> &[Rule] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Rules {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Many(Vec<Rule>),
        }
        match Option::<Raw>::deserialize(d)? {
            None => Ok(Rules::default()),
            Some(Raw::Many(rules)) => Ok(Rules(rules)),
            Some(Raw::Text(text)) => parse_rules(&text).map(Rules).map_err(de::Error::custom),
        }
    }
}

/// Parses the environment form: JSON, except that keys may be left unquoted.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(&quote_bare_keys(text)).map_err(|e| {
        format!("'{text}' is not a list of rules ({e}); expected e.g. [{{keyMatch:\"^id$\"}}] or [{{keyMatch:\"^id$\",valueMatch:\".*\"}}]")
    })
}

/// `{keyMatch:"x"}` becomes `{"keyMatch":"x"}`; text inside quotes is left alone.
fn quote_bare_keys(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c.is_ascii_alphabetic() || c == '_' {
            let mut word = String::from(c);
            while let Some(&n) = chars.peek().filter(|n| n.is_ascii_alphanumeric() || **n == '_') {
                word.push(n);
                chars.next();
            }
            out.push('"');
            out.push_str(&word);
            out.push('"');
        } else {
            out.push(c);
        }
    }
    out
}
