//! Loading: YAML file, then environment overrides, then typed deserialization and validation.

use super::env::{env_name_for, env_names, LeafKind, SECRET_KEYS};
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
    if let Err(e) = secrets_from_files(&mut root, &env) {
        return Err(ConfigError::Invalid(vec![e]));
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

/// Reads each secret given as a file (`<key>_file` or `<ENV>_FILE`), trailing newline trimmed.
/// Errors name the key and the file, never the secret.
fn secrets_from_files(root: &mut Value, env: &impl Fn(&str) -> Option<String>) -> Result<(), KeyError> {
    for key in SECRET_KEYS {
        let env_name = env_name_for(key);
        let (file_key, file_env) = (format!("{key}_file"), format!("{env_name}_FILE"));
        let from_yaml = take_path(root, &file_key);
        let (file, set_by) = match (env(&file_env), from_yaml) {
            (Some(f), _) => (f, Some(file_env.clone())),
            (None, Some(f)) => (f, None),
            (None, None) => continue,
        };
        let value_set = get_path(root, key).is_some_and(|v| !matches!(v, Value::Null) && v.as_str() != Some(""));
        if value_set {
            return Err(KeyError {
                key: key.to_string(),
                env: None,
                message: format!("set either the value ({env_name}) or the file ({file_key}, {file_env}), not both"),
            });
        }
        let text = std::fs::read_to_string(&file).map_err(|e| KeyError {
            key: file_key.clone(),
            env: set_by.clone(),
            message: format!("cannot read {file}: {e}"),
        })?;
        set_path(root, key, Value::String(text.trim_end_matches(['\n', '\r']).to_string()))
            .map_err(|message| KeyError { key: key.to_string(), env: None, message })?;
    }
    Ok(())
}

fn get_path<'v>(root: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.').try_fold(root, |node, part| node.as_mapping()?.get(part))
}

/// Removes `path` from the tree and returns it when it is a string.
fn take_path(root: &mut Value, path: &str) -> Option<String> {
    let (parent, last) = path.rsplit_once('.')?;
    let node = parent.split('.').try_fold(root, |node, part| node.as_mapping_mut()?.get_mut(part))?;
    let value = node.as_mapping_mut()?.remove(last)?;
    match value {
        Value::String(s) => Some(s),
        Value::Null => None,
        other => Some(serde_yaml_ng::to_string(&other).unwrap_or_default().trim().to_string()),
    }
}
