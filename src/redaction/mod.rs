//! Redaction of what leaves the process: path segments, query arguments and headers, by the show
//! and sanitize rules of `traceability.redaction` (Axway's semantics: nothing shown by default).

#[cfg(test)]
mod tests;

use crate::access_log::ApiCall;
use crate::config::{KeyedRedaction, RedactionConfig, Rules};
use regex::{NoExpand, Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use std::fmt;

/// Compiled once from `traceability.redaction`; applied to every call before its events are built.
#[derive(Debug, Clone)]
pub struct Redactor {
    path_show: RegexSet,
    query: KeyedRules,
    request_headers: KeyedRules,
    response_headers: KeyedRules,
    mask: String,
}

#[derive(Debug, Clone)]
struct KeyedRules {
    show: RegexSet,
    /// (key_match, value_match)
    sanitize: Vec<(Regex, Regex)>,
}

/// Every problem with the redaction rules, each with its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactionErrors(pub Vec<(String, String)>);

impl fmt::Display for RedactionErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<String> = self.0.iter().map(|(k, m)| format!("{k}: {m}")).collect();
        f.write_str(&lines.join("; "))
    }
}

impl std::error::Error for RedactionErrors {}

const PREFIX: &str = "traceability.redaction";

impl Redactor {
    pub fn from_config(c: &RedactionConfig) -> Result<Redactor, RedactionErrors> {
        let mut errors = Vec::new();
        let mask = masking_characters(&c.masking_characters)
            .map_err(|m| errors.push((format!("{PREFIX}.masking_characters"), m)))
            .unwrap_or_default();
        let path_show = show_set(&c.path.show, &format!("{PREFIX}.path.show"), false, &mut errors);
        let query = keyed(&c.query_argument, "query_argument", false, &mut errors);
        let request_headers = keyed(&c.request_header, "request_header", true, &mut errors);
        let response_headers = keyed(&c.response_header, "response_header", true, &mut errors);
        if errors.is_empty() {
            Ok(Redactor { path_show, query, request_headers, response_headers, mask })
        } else {
            Err(RedactionErrors(errors))
        }
    }

    /// Shows everything: for tests and users who opt out explicitly with `.*` rules.
    pub fn show_all() -> Redactor {
        let all = Rules(vec![crate::config::Rule { key_match: ".*".into(), value_match: String::new() }]);
        let keyed = KeyedRedaction { show: all.clone(), sanitize: Rules::default() };
        let config = RedactionConfig {
            path: crate::config::PathRedaction { show: all },
            query_argument: keyed.clone(),
            request_header: keyed.clone(),
            response_header: keyed,
            ..RedactionConfig::default()
        };
        Redactor::from_config(&config).expect("static rules compile")
    }

    /// Masks the path segments not shown, removes the query arguments and headers not shown, and
    /// sanitizes the values of those kept.
    pub fn apply(&self, call: &mut ApiCall) {
        if !call.path.is_empty() {
            call.path = self.path(&call.path);
        }
        self.query.apply(&mut call.query, &self.mask);
        self.request_headers.apply(&mut call.request_headers, &self.mask);
        self.response_headers.apply(&mut call.response_headers, &self.mask);
    }

    fn path(&self, path: &str) -> String {
        path.split('/')
            .map(|segment| if segment.is_empty() || self.path_show.is_match(segment) { segment } else { &self.mask })
            .collect::<Vec<_>>()
            .join("/")
    }
}

impl KeyedRules {
    fn apply(&self, pairs: &mut Vec<(String, String)>, mask: &str) {
        pairs.retain(|(key, _)| self.show.is_match(key));
        for (key, value) in pairs.iter_mut() {
            for (key_match, value_match) in &self.sanitize {
                if key_match.is_match(key) {
                    if let std::borrow::Cow::Owned(masked) = value_match.replace_all(value, NoExpand(mask)) {
                        *value = masked;
                    }
                }
            }
        }
    }
}

/// The masking characters as Axway's agents accept them; one pair of surrounding double quotes (left
/// by `docker run --env-file`) is taken off.
pub fn masking_characters(raw: &str) -> Result<String, String> {
    let text = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-*#^~.{}".contains(c);
    let count = text.chars().count();
    if (1..=5).contains(&count) && text.chars().all(allowed) {
        Ok(text.to_string())
    } else {
        Err(format!("'{raw}' is not allowed; expected 1 to 5 of letters, digits and - * # ^ ~ . {{ }}"))
    }
}

fn keyed(c: &KeyedRedaction, name: &str, headers: bool, errors: &mut Vec<(String, String)>) -> KeyedRules {
    let show = show_set(&c.show, &format!("{PREFIX}.{name}.show"), headers, errors);
    let mut sanitize = Vec::new();
    for (i, rule) in c.sanitize.iter().enumerate() {
        let key = format!("{PREFIX}.{name}.sanitize[{i}]");
        if rule.value_match.is_empty() {
            errors.push((format!("{key}.value_match"), "is required: the part of the value to mask".into()));
            continue;
        }
        let key_match = compile(&rule.key_match, &format!("{key}.key_match"), headers, errors);
        let value_match = compile(&rule.value_match, &format!("{key}.value_match"), false, errors);
        if let (Some(k), Some(v)) = (key_match, value_match) {
            sanitize.push((k, v));
        }
    }
    KeyedRules { show, sanitize }
}

fn show_set(rules: &Rules, key: &str, case_insensitive: bool, errors: &mut Vec<(String, String)>) -> RegexSet {
    let mut patterns = Vec::new();
    for (i, rule) in rules.iter().enumerate() {
        if !rule.value_match.is_empty() {
            errors.push((format!("{key}[{i}].value_match"), "is only for sanitize rules".into()));
        }
        if compile(&rule.key_match, &format!("{key}[{i}].key_match"), case_insensitive, errors).is_some() {
            patterns.push(rule.key_match.as_str());
        }
    }
    RegexSetBuilder::new(patterns).case_insensitive(case_insensitive).build().unwrap_or_else(|_| RegexSet::empty())
}

fn compile(pattern: &str, key: &str, case_insensitive: bool, errors: &mut Vec<(String, String)>) -> Option<Regex> {
    if pattern.is_empty() {
        errors.push((key.to_string(), "is required (a regular expression, e.g. \".*\")".into()));
        return None;
    }
    RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|e| errors.push((key.to_string(), format!("'{pattern}' is not a valid regular expression: {e}"))))
        .ok()
}
