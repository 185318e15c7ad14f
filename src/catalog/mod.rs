//! The API catalog: which REST (v1) and HTTP (v2) APIs and stages exist, with their tags, to name
//! the APIs in events and to select the stages traced (`aws.filter`). Discovered through the API
//! Gateway APIs and refreshed periodically by the [`CatalogActor`].

mod actor;
mod fetch;
mod filter;

#[cfg(test)]
mod tests;

pub use actor::{first_catalog, CatalogActor};
pub use fetch::{fetch_catalog, fetch_http_apis, fetch_rest_apis, CatalogClients, CatalogError};
pub use filter::{FilterError, TagFilter};

use std::collections::{BTreeMap, HashMap};

/// Everything known about the APIs, with the filter's decision for every stage.
#[derive(Debug, Clone, Default)]
pub struct ApiCatalog {
    apis: HashMap<String, ApiInfo>,
    /// Set when `aws.filter` is: only stages it selected are traced.
    filtered: bool,
}

/// REST APIs come from API Gateway (v1), HTTP APIs from API Gateway v2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    Rest,
    Http,
}

/// One API.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiInfo {
    pub id: String,
    pub name: String,
    pub kind: ApiKind,
    pub tags: BTreeMap<String, String>,
    pub stages: HashMap<String, StageInfo>,
}

/// One stage of an API.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub name: String,
    pub deployment_id: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Whether `aws.filter` selects it (true without a filter).
    pub traced: bool,
}

impl StageInfo {
    pub fn new(name: impl Into<String>) -> StageInfo {
        StageInfo { name: name.into(), deployment_id: None, tags: BTreeMap::new(), traced: true }
    }
}

/// What an event needs to know about its API.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ApiRef<'a> {
    /// The API's name, when the catalog knows the id.
    pub name: Option<&'a str>,
    /// Revision shown in Amplify; API Gateway has none, so it is 1.
    pub revision: u32,
}

/// Whether a call's API stage is traced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Traced,
    /// `aws.filter` does not select the stage.
    Excluded,
    /// With a filter set, a stage the catalog does not know (yet) cannot be selected.
    Unknown,
}

impl Selection {
    /// The `reason` of `apigw_agent_records_filtered_total` when the call is not traced.
    pub fn dropped_label(self) -> Option<&'static str> {
        match self {
            Selection::Traced => None,
            Selection::Excluded => Some("aws_filter"),
            Selection::Unknown => Some("aws_filter_unknown_stage"),
        }
    }
}

impl ApiCatalog {
    pub fn new(apis: impl IntoIterator<Item = ApiInfo>) -> ApiCatalog {
        ApiCatalog { apis: apis.into_iter().map(|a| (a.id.clone(), a)).collect(), filtered: false }
    }

    /// Decides every stage by `filter`, on the API's tags overridden by the stage's.
    pub fn with_filter(mut self, filter: Option<&TagFilter>) -> ApiCatalog {
        self.filtered = filter.is_some();
        for api in self.apis.values_mut() {
            for stage in api.stages.values_mut() {
                stage.traced = filter.is_none_or(|f| {
                    let mut tags = api.tags.clone();
                    tags.extend(stage.tags.iter().map(|(k, v)| (k.clone(), v.clone())));
                    f.matches(&tags)
                });
            }
        }
        self
    }

    pub fn len(&self) -> usize {
        self.apis.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apis.is_empty()
    }

    /// Every API, by name then id.
    pub fn apis(&self) -> Vec<&ApiInfo> {
        let mut apis: Vec<&ApiInfo> = self.apis.values().collect();
        apis.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        apis
    }

    pub fn get(&self, api_id: &str) -> Option<&ApiInfo> {
        self.apis.get(api_id)
    }

    /// The reference for an API id from an access log (unknown ids give an unnamed reference).
    pub fn lookup(&self, api_id: Option<&str>) -> ApiRef<'_> {
        ApiRef { name: api_id.and_then(|id| self.apis.get(id)).map(|a| a.name.as_str()), revision: 1 }
    }

    /// Whether calls to `api_id`/`stage` are traced.
    pub fn selection(&self, api_id: Option<&str>, stage: Option<&str>) -> Selection {
        if !self.filtered {
            return Selection::Traced;
        }
        let stage = api_id.zip(stage).and_then(|(id, stage)| self.apis.get(id)?.stages.get(stage));
        match stage {
            Some(s) if s.traced => Selection::Traced,
            Some(_) => Selection::Excluded,
            None => Selection::Unknown,
        }
    }
}
