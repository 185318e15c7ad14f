//! Tests of redaction against the examples of Axway's trace-redaction documentation.

use super::*;
use crate::config::{parse_rules, PathRedaction, Rule};

fn rules(text: &str) -> Rules {
    Rules(parse_rules(text).unwrap())
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn call(path: &str) -> ApiCall {
    ApiCall {
        path: path.into(),
        query: pairs(&[("arg1", "val1"), ("id", "myid"), ("arg2", "val2")]),
        request_headers: pairs(&[
            ("Authorization", "auth-value-1"),
            ("x-authorization-header", "auth-value-2"),
            ("other-key3", "value3"),
        ]),
        response_headers: pairs(&[("content-type", "return-data-type"), ("res-header", "just-a-value")]),
        ..ApiCall::default()
    }
}

#[test]
fn the_default_shows_nothing() {
    let redactor = Redactor::from_config(&RedactionConfig::default()).unwrap();
    let mut c = call("/path/element/to/my/api/endpoint");
    redactor.apply(&mut c);
    assert_eq!(c.path, "/{*}/{*}/{*}/{*}/{*}/{*}");
    assert!(c.query.is_empty() && c.request_headers.is_empty() && c.response_headers.is_empty());
}

#[test]
fn path_show_rules_keep_matching_segments() {
    let config = RedactionConfig {
        path: PathRedaction { show: rules(r#"[{keyMatch:"^ele"},{keyMatch:"point$"}]"#) },
        ..RedactionConfig::default()
    };
    let mut c = call("/path/element/to/my/api/endpoint/");
    Redactor::from_config(&config).unwrap().apply(&mut c);
    assert_eq!(c.path, "/{*}/element/{*}/{*}/{*}/endpoint/");
}

#[test]
fn show_rules_keep_keys_and_sanitize_rules_mask_parts_of_their_values() {
    let config = RedactionConfig {
        query_argument: KeyedRedaction {
            show: rules(r#"[{keyMatch:"^id$"}]"#),
            sanitize: rules(r#"[{keyMatch:"^id$",valueMatch:".*"}]"#),
        },
        // Header names match whatever their case.
        request_header: KeyedRedaction {
            show: rules(r#"[{keyMatch:"AUTHORIZATION"}]"#),
            sanitize: rules(r#"[{keyMatch:"authorization",valueMatch:"^.{0,5}"}]"#),
        },
        response_header: KeyedRedaction {
            show: rules(r#"[{keyMatch:".*"}]"#),
            sanitize: rules(r#"[{keyMatch:"^content",valueMatch:"data"}]"#),
        },
        masking_characters: r#""{##}""#.into(),
        ..RedactionConfig::default()
    };
    let mut c = call("/a");
    Redactor::from_config(&config).unwrap().apply(&mut c);
    assert_eq!(c.query, pairs(&[("id", "{##}")]));
    assert_eq!(
        c.request_headers,
        pairs(&[("Authorization", "{##}value-1"), ("x-authorization-header", "{##}value-2")])
    );
    assert_eq!(c.response_headers, pairs(&[("content-type", "return-{##}-type"), ("res-header", "just-a-value")]));
    assert_eq!(c.path, "/{##}");
}

#[test]
fn show_all_changes_nothing() {
    let mut c = call("/pets/42");
    let before = c.clone();
    Redactor::show_all().apply(&mut c);
    assert_eq!(c, before);
}

#[test]
fn rules_parse_from_the_environment_form_json_and_yaml() {
    let expected = vec![
        Rule { key_match: "^id$".into(), value_match: String::new() },
        Rule { key_match: "a,b:{c}".into(), value_match: r#"x"y"#.into() },
    ];
    assert_eq!(parse_rules(r#"[{keyMatch:"^id$"}, {keyMatch: "a,b:{c}", valueMatch:"x\"y"}]"#).unwrap(), expected);
    assert_eq!(parse_rules(r#"[{"keyMatch":"^id$"},{"key_match":"a,b:{c}","value_match":"x\"y"}]"#).unwrap(), expected);
    let yaml: Rules = serde_yaml_ng::from_str("- key_match: ^id$\n- keyMatch: a,b:{c}\n  valueMatch: x\"y\n").unwrap();
    assert_eq!(yaml.0, expected);
    assert_eq!(parse_rules("  ").unwrap(), vec![]);
    let e = parse_rules(r#"[{keyMatch:"x"}"#).unwrap_err();
    assert!(e.starts_with(r#"'[{keyMatch:"x"}' is not a list of rules"#), "{e}");
    assert!(parse_rules(r#"[{keyMatch:"x",colour:"red"}]"#).unwrap_err().contains("unknown field `colour`"));
}

#[test]
fn every_bad_rule_is_reported_with_its_key() {
    let config = RedactionConfig {
        path: PathRedaction { show: rules(r#"[{keyMatch:"("}]"#) },
        query_argument: KeyedRedaction { show: Rules::default(), sanitize: rules(r#"[{keyMatch:"id"}]"#) },
        request_header: KeyedRedaction { show: rules(r#"[{keyMatch:""}]"#), sanitize: Rules::default() },
        response_header: KeyedRedaction {
            show: rules(r#"[{keyMatch:"a",valueMatch:"b"}]"#),
            sanitize: rules(r#"[{keyMatch:"a",valueMatch:"[z"}]"#),
        },
        masking_characters: "******".into(),
    };
    let errors = Redactor::from_config(&config).unwrap_err().0;
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        [
            "traceability.redaction.masking_characters",
            "traceability.redaction.path.show[0].key_match",
            "traceability.redaction.query_argument.sanitize[0].value_match",
            "traceability.redaction.request_header.show[0].key_match",
            "traceability.redaction.response_header.show[0].value_match",
            "traceability.redaction.response_header.sanitize[0].value_match",
        ]
    );
    assert!(errors[0].1.starts_with("'******' is not allowed; expected 1 to 5"), "{}", errors[0].1);
    assert!(errors[1].1.starts_with("'(' is not a valid regular expression"), "{}", errors[1].1);
}

#[test]
fn masking_characters_follow_axways_alphabet() {
    assert_eq!(masking_characters("{*}").unwrap(), "{*}");
    assert_eq!(masking_characters("\"{~}\"").unwrap(), "{~}");
    assert_eq!(masking_characters("x-1.^").unwrap(), "x-1.^");
    for bad in ["", "\"\"", "<b>", "a b", "$1", "123456"] {
        assert!(masking_characters(bad).is_err(), "{bad:?} accepted");
    }
}
