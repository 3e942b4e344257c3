//! The requirement ids cases may cite (from `harness/data/requirements.yaml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Requirement {
    pub id: String,
    /// RFC 2119 keyword as written (`MUST`, `SHOULD†`, `MUST NOT`, `info`, …).
    pub keyword: String,
    pub section: u32,
    pub area: String,
    pub revisions: String,
}

static DATA: &str = include_str!("../data/requirements.yaml");

pub fn all() -> &'static BTreeMap<String, Requirement> {
    static MAP: OnceLock<BTreeMap<String, Requirement>> = OnceLock::new();
    MAP.get_or_init(|| {
        let list: Vec<Requirement> = serde_yaml_ng::from_str(DATA).unwrap_or_default();
        list.into_iter().map(|r| (r.id.clone(), r)).collect()
    })
}

pub fn exists(id: &str) -> bool {
    all().contains_key(id)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bundled_list_has_every_row() {
        assert_eq!(super::all().len(), 194);
        assert!(super::exists("RPC-09"));
        assert!(super::exists("MOD-26"));
        assert!(!super::exists("RPC-99"));
    }
}
