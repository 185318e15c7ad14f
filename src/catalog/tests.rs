//! Tests of the tag filter language and of the catalog's stage selection.

use super::*;

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn matches(filter: &str, pairs: &[(&str, &str)]) -> bool {
    TagFilter::parse(filter).unwrap_or_else(|e| panic!("{e}")).matches(&tags(pairs))
}

#[test]
fn conditions_and_their_combinations() {
    let prod = [("Env", "prod"), ("Team", "payments"), ("cost-center", "cc:42/a")];
    assert!(matches("tag.Env == prod", &prod));
    assert!(matches("tag.Env == 'prod'", &prod));
    assert!(!matches(r#"tag.Env == "dev""#, &prod));
    assert!(matches("tag.Env != dev", &prod));
    assert!(!matches("tag.Missing == prod", &prod));
    assert!(matches("tag.Missing != prod", &prod));
    assert!(matches("tag.Team.Exists()", &prod));
    assert!(matches("tag.Team.Exists() == true", &prod));
    assert!(!matches("tag.Team.Exists() == false", &prod));
    assert!(matches("tag.Owner.Exists() != true", &prod));
    assert!(matches(r#"tag.Team.MatchRegEx("^pay")"#, &prod));
    assert!(!matches(r#"tag.Env.MatchRegEx("^d")"#, &prod));
    assert!(matches("tag.Any() == payments", &prod));
    assert!(matches("tag.Any() != nobody", &prod));
    assert!(matches("tag.cost-center == cc:42/a", &prod));
    assert!(matches("tag.Foo.Exists() || tag.Env == prod", &prod));
    assert!(!matches("tag.Foo.Exists() && tag.Env == prod", &prod));
    // && binds tighter than ||; parentheses and ! regroup.
    assert!(matches("tag.Env == dev && tag.Foo.Exists() || tag.Team == payments", &prod));
    assert!(!matches("tag.Env == dev && (tag.Foo.Exists() || tag.Team == payments)", &prod));
    assert!(matches("!(tag.Env == dev) && !tag.Foo.Exists()", &prod));
    assert!(matches("  tag.Env==prod&&tag.Team==payments  ", &prod));
    assert!(matches("tag.Version == v1.2", &[("Version", "v1.2")]));
}

#[test]
fn errors_say_where_and_what_was_expected() {
    let err = |text: &str| TagFilter::parse(text).unwrap_err().to_string();
    assert_eq!(
        err("Env == prod"),
        "'Env == prod' is not a tag filter: expected a condition such as tag.Env == prod at character 1"
    );
    assert_eq!(err("tag.Env = prod"), "'tag.Env = prod' is not a tag filter: expected == or != at character 9");
    assert_eq!(
        err("tag.Env == prod &&"),
        "'tag.Env == prod &&' is not a tag filter: expected a condition such as tag.Env == prod at character 19"
    );
    assert_eq!(err("(tag.A.Exists()"), "'(tag.A.Exists()' is not a tag filter: expected ) at character 16");
    assert_eq!(err("tag.A == 'x"), "'tag.A == 'x' is not a tag filter: unterminated quoted value at character 10");
    assert_eq!(
        err("tag.A.Exists() == maybe"),
        "'tag.A.Exists() == maybe' is not a tag filter: expected true or false at character 24"
    );
    assert_eq!(err("tag.A == b c"), "'tag.A == b c' is not a tag filter: expected && or || or the end at character 12");
    assert!(err(r#"tag.A.MatchRegEx("(")"#).contains("invalid regex"));
}

fn api(id: &str, kind: ApiKind, api_tags: &[(&str, &str)], stages: &[(&str, &[(&str, &str)])]) -> ApiInfo {
    ApiInfo {
        id: id.into(),
        name: format!("{id}-name"),
        kind,
        tags: tags(api_tags),
        stages: stages
            .iter()
            .map(|(s, t)| (s.to_string(), StageInfo { tags: tags(t), ..StageInfo::new(*s) }))
            .collect(),
    }
}

#[test]
fn stages_are_selected_on_api_tags_overridden_by_stage_tags() {
    let apis = || {
        vec![
            api("a1", ApiKind::Rest, &[("Env", "prod")], &[("prod", &[]), ("test", &[("Env", "test")])]),
            api("h1", ApiKind::Http, &[], &[("$default", &[("Env", "prod")])]),
        ]
    };
    let filter = TagFilter::parse("tag.Env == prod").unwrap();
    let c = ApiCatalog::new(apis()).with_filter(Some(&filter));
    assert_eq!(c.selection(Some("a1"), Some("prod")), Selection::Traced);
    assert_eq!(c.selection(Some("a1"), Some("test")), Selection::Excluded);
    assert_eq!(c.selection(Some("h1"), Some("$default")), Selection::Traced);
    assert_eq!(c.selection(Some("a1"), Some("new-stage")), Selection::Unknown);
    assert_eq!(c.selection(Some("zz"), Some("prod")), Selection::Unknown);
    assert_eq!(c.selection(None, None), Selection::Unknown);
    assert_eq!(Selection::Excluded.dropped_label(), Some("aws_filter"));
    assert_eq!(c.lookup(Some("h1")).name, Some("h1-name"));

    // Without a filter every call is traced, known or not.
    let c = ApiCatalog::new(apis()).with_filter(None);
    assert_eq!(c.selection(Some("a1"), Some("test")), Selection::Traced);
    assert_eq!(c.selection(Some("zz"), None), Selection::Traced);
}
