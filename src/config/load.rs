//! Loading: YAML file, then environment overrides, then typed deserialization and validation.

use super::env::{env_names, LeafKind};
use super::Config;
use serde_yaml_ng::{Mapping, Value};
use std::fmt;
use std::path::Path;

/// Why a configuration was refused. Messages name the key (and its env variable) and the value,
/// except for secrets, whose values are never repeated.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("configuration file {origin} is not valid YAML: {message}")]
    Syntax { origin: String, message: String },
    #[error("invalid configuration:\n{}", list(.0))]
    Invalid(Vec<KeyError>),
}

/// One problem with one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    pub key: String,
    pub env: Option<String>,
    pub message: String,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.env {
            Some(env) => write!(f, "{} (set by {env}): {}", self.key, self.message),
            None => write!(f, "{}: {}", self.key, self.message),
        }
    }
}

fn list(errors: &[KeyError]) -> String {
    errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n")
}

/// Loads `path` with overrides from the process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
    load_from_str(&text, &path.display().to_string(), |name| std::env::var(name).ok())
}

/// Loads YAML text with overrides looked up by `env` (injected so tests need not touch the
/// process environment).
pub fn load_from_str(text: &str, origin: &str, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let mut root: Value = if text.trim().is_empty() {
        Value::Mapping(Mapping::new())
    } else {
        serde_yaml_ng::from_str(text)
            .map_err(|e| ConfigError::Syntax { origin: origin.into(), message: e.to_string() })?
    };
    if root.is_null() {
        root = Value::Mapping(Mapping::new());
    }
    let mut from_env = Vec::new();
    for (name, path, kind) in env_names() {
        if let Some(raw) = env(&name) {
            set_path(&mut root, &path, typed(&raw, kind))
                .map_err(|message| ConfigError::Invalid(vec![KeyError { key: path.clone(), env: None, message }]))?;
            from_env.push((path, name));
        }
    }
    let env_of = |key: &str| {
        let within = |p: &str| key.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with(['.', '[']));
        from_env.iter().find(|(p, _)| within(p)).map(|(_, n)| n.clone())
    };
    let config: Config = serde_path_to_error::deserialize(root).map_err(|e| {
        let key = e.path().to_string();
        let message = e.into_inner().to_string();
        ConfigError::Invalid(vec![KeyError { env: env_of(&key), key, message }])
    })?;
    let errors: Vec<KeyError> = super::validate::validate(&config)
        .into_iter()
        .map(|(key, message)| KeyError { env: env_of(&key), key, message })
        .collect();
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError::Invalid(errors))
    }
}

/// An env string becomes a YAML number or bool where the key holds one, so "3" sets an integer;
/// text keys keep the string as is (a region "1" stays text, a key "0123" keeps its zero).
fn typed(raw: &str, kind: LeafKind) -> Value {
    match kind {
        LeafKind::Text => Value::String(raw.to_string()),
        LeafKind::Number | LeafKind::Bool => match serde_yaml_ng::from_str::<Value>(raw) {
            Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
            _ => Value::String(raw.to_string()),
        },
    }
}

fn set_path(root: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut node = root;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Value::Mapping(map) = node else {
            return Err(format!("'{}' must be a mapping", parts[..i].join(".")));
        };
        let key = Value::String(part.to_string());
        if i == parts.len() - 1 {
            map.insert(key, value);
            return Ok(());
        }
        node = map.entry(key).or_insert_with(|| Value::Mapping(Mapping::new()));
        if node.is_null() {
            *node = Value::Mapping(Mapping::new());
        }
    }
    Ok(())
}
