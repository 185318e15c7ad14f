//! The API catalog: which REST APIs and stages exist, to name the APIs in events. Discovered
//! through the API Gateway API and refreshed periodically by the [`CatalogActor`].

mod actor;
mod fetch;

pub use actor::CatalogActor;
pub use fetch::{fetch_rest_apis, CatalogError};

use std::collections::HashMap;

/// Everything known about the APIs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiCatalog {
    apis: HashMap<String, RestApiInfo>,
}

/// One REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct RestApiInfo {
    pub id: String,
    pub name: String,
    pub stages: HashMap<String, StageInfo>,
}

/// One stage of a REST API.
#[derive(Debug, Clone, PartialEq)]
pub struct StageInfo {
    pub name: String,
    pub deployment_id: Option<String>,
}

/// What an event needs to know about its API.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ApiRef<'a> {
    /// The API's name, when the catalog knows the id.
    pub name: Option<&'a str>,
    /// Revision shown in Amplify; API Gateway has none, so it is 1.
    pub revision: u32,
}

impl ApiCatalog {
    pub fn new(apis: impl IntoIterator<Item = RestApiInfo>) -> ApiCatalog {
        ApiCatalog { apis: apis.into_iter().map(|a| (a.id.clone(), a)).collect() }
    }

    pub fn len(&self) -> usize {
        self.apis.len()
    }

    pub fn is_empty(&self) -> bool {
        self.apis.is_empty()
    }

    pub fn get(&self, api_id: &str) -> Option<&RestApiInfo> {
        self.apis.get(api_id)
    }

    /// The reference for an API id from an access log (unknown ids give an unnamed reference).
    pub fn lookup(&self, api_id: Option<&str>) -> ApiRef<'_> {
        ApiRef { name: api_id.and_then(|id| self.apis.get(id)).map(|a| a.name.as_str()), revision: 1 }
    }
}
