//! The state file: per log group, the position from which reading resumes. Written atomically
//! (temp file, fsync, rename, fsync of the directory) and only with positions whose every event was
//! acknowledged by the receiver.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Why the state file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read state file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("state file {path} is corrupt ({reason}); the agent will not guess where to resume: fix it, or run with --reset-state to set it aside and start from aws.poll.start_position")]
    Corrupt { path: String, reason: String },
    #[error("cannot write state file {path}: {source}")]
    Write { path: String, source: std::io::Error },
}

/// One log group's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupPosition {
    /// The next window starts here (ms since the epoch): everything before it was acknowledged.
    pub next_start_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    log_groups: BTreeMap<String, GroupPosition>,
}

/// Loads and saves the state file.
#[derive(Debug, Clone)]
pub struct CheckpointStore {
    path: PathBuf,
}

impl CheckpointStore {
    pub fn new(path: impl Into<PathBuf>) -> CheckpointStore {
        CheckpointStore { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved positions; empty when no state file exists yet.
    pub fn load(&self) -> Result<BTreeMap<String, GroupPosition>, StateError> {
        let path = self.path.display().to_string();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(source) => return Err(StateError::Read { path, source }),
        };
        let state: StateFile = serde_json::from_str(&text)
            .map_err(|e| StateError::Corrupt { path: path.clone(), reason: e.to_string() })?;
        if state.version != 1 {
            return Err(StateError::Corrupt { path, reason: format!("unknown version {}", state.version) });
        }
        Ok(state.log_groups)
    }

    /// `--reset-state`: a corrupt state file is renamed to `<file>.corrupt-<unix seconds>` (kept for
    /// inspection) and its new path returned; a readable one, or none, is left alone.
    pub fn set_aside_if_corrupt(&self) -> Result<Option<PathBuf>, StateError> {
        match self.load() {
            Err(StateError::Corrupt { .. }) => {
                let secs =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let mut name = self.path.as_os_str().to_owned();
                name.push(format!(".corrupt-{secs}"));
                let moved = PathBuf::from(name);
                std::fs::rename(&self.path, &moved)
                    .map_err(|source| StateError::Write { path: self.path.display().to_string(), source })?;
                Ok(Some(moved))
            }
            Err(e) => Err(e),
            Ok(_) => Ok(None),
        }
    }

    /// Replaces the state file with `positions`, atomically.
    pub fn save(&self, positions: &BTreeMap<String, GroupPosition>) -> Result<(), StateError> {
        let err = |source| StateError::Write { path: self.path.display().to_string(), source };
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&dir).map_err(err)?;
        let body = serde_json::to_vec_pretty(&StateFile { version: 1, log_groups: positions.clone() })
            .expect("state serializes");
        let tmp = self.path.with_extension("json.tmp");
        let mut file = std::fs::File::create(&tmp).map_err(err)?;
        file.write_all(&body).map_err(err)?;
        file.sync_all().map_err(err)?;
        drop(file);
        std::fs::rename(&tmp, &self.path).map_err(err)?;
        std::fs::File::open(&dir).and_then(|d| d.sync_all()).map_err(err)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_atomically_and_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = CheckpointStore::new(dir.path().join("sub/state.json"));
        assert!(store.load().unwrap().is_empty());
        let mut p = BTreeMap::new();
        p.insert("/aws/apigw/a".to_string(), GroupPosition { next_start_ms: 42 });
        store.save(&p).unwrap();
        assert_eq!(store.load().unwrap(), p);
        assert!(!dir.path().join("sub/state.json.tmp").exists());
    }

    #[test]
    fn corrupt_file_is_an_error_that_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{\"version\":1,\"log_gro").unwrap();
        let store = CheckpointStore::new(&path);
        let err = store.load().unwrap_err().to_string();
        assert!(err.starts_with(&format!("state file {} is corrupt (", path.display())), "{err}");
        assert!(
            err.ends_with("run with --reset-state to set it aside and start from aws.poll.start_position"),
            "{err}"
        );
        // --reset-state keeps the bad file for inspection and leaves no state behind.
        let moved = store.set_aside_if_corrupt().unwrap().expect("set aside");
        assert_eq!(std::fs::read_to_string(&moved).unwrap(), "{\"version\":1,\"log_gro");
        assert!(store.load().unwrap().is_empty());
        assert_eq!(store.set_aside_if_corrupt().unwrap(), None);
        // A truncated (empty) file is corrupt too, never "no state".
        std::fs::write(&path, "").unwrap();
        assert!(matches!(store.load(), Err(StateError::Corrupt { .. })));
    }
}
