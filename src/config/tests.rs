//! Tests of configuration loading: file + env overrides, key-naming errors, masking.

use super::*;
use std::collections::HashMap;

const MINIMAL: &str = "
aws:
  region: eu-west-1
  log_group: /aws/apigateway/a
central:
  organization_id: org1
  environment_id: env1
";

fn with_env(yaml: &str, vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let env: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    load_from_str(yaml, "test.yaml", |name| env.get(name).cloned())
}

fn error_text(yaml: &str, vars: &[(&str, &str)]) -> String {
    with_env(yaml, vars).expect_err("configuration should be refused").to_string()
}

#[test]
fn shipped_agent_yaml_is_valid() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml")).unwrap();
    let c = with_env(&text, &[]).unwrap();
    assert_eq!(c.aws.log_group.0, vec!["/aws/apigateway/access-logs"]);
    assert_eq!(c.traceability.bulk_max_size, 2048);
    assert!(c.traceability.enable_ssl);
}

#[test]
fn the_shipped_file_documents_every_key_with_its_env_name() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/agent.yaml")).unwrap();
    for (env, path, _) in env_names() {
        assert!(text.contains(&env), "config/agent.yaml does not mention {env} (for {path})");
    }
}

#[test]
fn env_names_follow_axway_names_then_the_path_rule() {
    assert_eq!(env_name_for("traceability.compression_level"), "TRACEABILITY_COMPRESSIONLEVEL");
    assert_eq!(env_name_for("aws.log_group"), "AWS_LOGGROUP");
    assert_eq!(env_name_for("traceability.format"), "TRACEABILITY_FORMAT");
    assert_eq!(env_name_for("pipeline.mailbox_capacity"), "PIPELINE_MAILBOX_CAPACITY");
    let all = env_names();
    let mut names: Vec<_> = all.iter().map(|(e, _, _)| e.clone()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all.len(), "two keys share an env name");
}

#[test]
fn env_overrides_win_and_are_typed_like_the_key() {
    let c = with_env(
        MINIMAL,
        &[
            ("TRACEABILITY_HOST", "a:5044, b:5045"),
            ("TRACEABILITY_COMPRESSIONLEVEL", "0"),
            ("TRACEABILITY_ENABLE_SSL", "false"),
            ("AWS_LOGGROUP", "g1,g2"),
            ("AWS_POLL_LATENCY", "1m30s"),
            ("AWS_AUTH_ACCESSKEY", "0123"),
            ("AWS_AUTH_SECRETKEY", "s3cr3t"),
            ("STATUS_PORT", "9000"),
        ],
    )
    .unwrap();
    assert_eq!(c.traceability.host.0, vec!["a:5044", "b:5045"]);
    assert_eq!(c.traceability.compression_level, 0);
    assert!(!c.traceability.enable_ssl);
    assert_eq!(c.aws.log_group.0, vec!["g1", "g2"]);
    assert_eq!(c.aws.poll.latency, Dur::secs(90));
    assert_eq!(c.aws.auth.access_key.expose(), "0123");
    assert_eq!(c.status.port, 9000);
}

#[test]
fn unknown_keys_are_refused_with_their_path() {
    let err = error_text(&format!("{MINIMAL}traceability:\n  bulkmaxsize: 10\n"), &[]);
    assert!(err.contains("traceability"), "{err}");
    assert!(err.contains("unknown field `bulkmaxsize`"), "{err}");
}

#[test]
fn bad_values_name_the_key_the_env_variable_and_the_value() {
    let err = error_text(MINIMAL, &[("TRACEABILITY_COMPRESSIONLEVEL", "12")]);
    assert!(
        err.contains("traceability.compression_level (set by TRACEABILITY_COMPRESSIONLEVEL): 12 is out of range; expected 0 (none) to 9"),
        "{err}"
    );
    let err = error_text(MINIMAL, &[("TRACEABILITY_BULKMAXSIZE", "lots")]);
    assert!(err.contains("traceability.bulk_max_size (set by TRACEABILITY_BULKMAXSIZE)"), "{err}");
    assert!(err.contains("lots"), "{err}");
    let err = error_text(MINIMAL, &[("AWS_CLIENTTIMEOUT", "soon")]);
    assert!(err.contains("aws.client_timeout (set by AWS_CLIENTTIMEOUT): 'soon' is not a duration"), "{err}");
    let err = error_text(MINIMAL, &[("TRACEABILITY_HOST", "logstash.local")]);
    assert!(err.contains("'logstash.local' has no port"), "{err}");
    let err = error_text(MINIMAL, &[("TRACEABILITY_BULKMAXSIZE", "20000")]);
    assert!(err.contains("20000 is out of range; expected 1 to 10000"), "{err}");
}

#[test]
fn every_problem_is_reported_at_once() {
    let err = error_text("traceability:\n  compression_level: 10\n", &[]);
    for key in [
        "aws.region",
        "aws.log_group",
        "traceability.compression_level",
        "central.organization_id",
        "central.environment_id",
    ] {
        assert!(err.contains(&format!("  - {key}")), "{key} missing from:\n{err}");
    }
}

#[test]
fn secrets_are_masked_in_debug_output_and_serialization_and_errors() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let c = with_env(MINIMAL, &[("AWS_AUTH_ACCESSKEY", "AKIAEXAMPLE12345"), ("AWS_AUTH_SECRETKEY", secret)]).unwrap();
    let shown = format!("{c:?}\n{}", serde_yaml_ng::to_string(&c).unwrap());
    assert!(!shown.contains(secret) && !shown.contains("AKIAEXAMPLE12345"), "secret leaked:\n{shown}");
    assert!(shown.contains("********"));
    // A secret of another YAML type is taken as text rather than echoed in a type error.
    let c =
        with_env(&MINIMAL.replace("aws:\n", "aws:\n  auth:\n    access_key: 12345678\n    secret_key: true\n"), &[])
            .unwrap();
    assert_eq!((c.aws.auth.access_key.expose(), c.aws.auth.secret_key.expose()), ("12345678", "true"));
    // Only one of the two keys: the error names the section, not the value.
    let err = error_text(MINIMAL, &[("AWS_AUTH_SECRETKEY", secret)]);
    assert!(err.contains("aws.auth"), "{err}");
    assert!(!err.contains(secret), "{err}");
}

#[test]
fn durations_parse_and_print_like_go() {
    assert_eq!(parse_duration("500ms").unwrap(), Dur::millis(500));
    assert_eq!(parse_duration("1h30m").unwrap(), Dur::secs(5400));
    assert_eq!(parse_duration("45").unwrap(), Dur::secs(45));
    assert!(parse_duration("1d").is_err());
    assert!(parse_duration("").is_err());
    assert_eq!(Dur::secs(5400).to_string(), "1h30m");
    assert_eq!(Dur::millis(1500).to_string(), "1500ms");
}

#[test]
fn invalid_yaml_names_the_file() {
    let err = error_text("aws: [unclosed", &[]);
    assert!(err.starts_with("configuration file test.yaml is not valid YAML: "), "{err}");
}

#[test]
fn the_readme_lists_every_env_variable() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for (env, path, _) in env_names() {
        assert!(readme.contains(&format!("| {path} | {env} |")), "README's configuration table lacks {path} / {env}");
    }
}

#[test]
fn redaction_rules_load_from_axway_env_syntax_and_bad_ones_name_their_key() {
    let c = with_env(
        MINIMAL,
        &[
            ("TRACEABILITY_REDACTION_PATH_SHOW", r#"[{keyMatch:".*"}]"#),
            ("TRACEABILITY_REDACTION_REQUESTHEADER_SANITIZE", r#"[{keyMatch:"^auth",valueMatch:".{0,10}$"}]"#),
            ("TRACEABILITY_REDACTION_MASKING_CHARACTERS", r#""{~}""#),
        ],
    )
    .unwrap();
    let r = &c.traceability.redaction;
    assert_eq!(r.path.show.0, vec![Rule { key_match: ".*".into(), value_match: String::new() }]);
    assert_eq!(r.request_header.sanitize[0].value_match, ".{0,10}$");
    assert_eq!(r.masking_characters, r#""{~}""#);

    let e = error_text(MINIMAL, &[("TRACEABILITY_REDACTION_QUERYARGUMENT_SHOW", r#"[{keyMatch:"("}]"#)]);
    assert!(
        e.contains("traceability.redaction.query_argument.show[0].key_match (set by TRACEABILITY_REDACTION_QUERYARGUMENT_SHOW): '(' is not a valid regular expression"),
        "{e}"
    );
    let e = error_text(MINIMAL, &[("TRACEABILITY_REDACTION_PATH_SHOW", "keyMatch=.*")]);
    assert!(
        e.contains("traceability.redaction.path.show (set by TRACEABILITY_REDACTION_PATH_SHOW): 'keyMatch=.*' is not a list of rules"),
        "{e}"
    );
}

#[test]
fn central_auth_key_files_are_checked_when_a_client_id_is_set() {
    // No client id: the (absent) default key files do not matter.
    with_env(MINIMAL, &[]).unwrap();
    let e = error_text(
        MINIMAL,
        &[("CENTRAL_AUTH_CLIENTID", "DOSA_1"), ("CENTRAL_AUTH_PRIVATEKEY", "/nonexistent/key.pem")],
    );
    assert!(
        e.contains(
            "central.auth.private_key (set by CENTRAL_AUTH_PRIVATEKEY): cannot read /nonexistent/key.pem: No such file"
        ),
        "{e}"
    );
    let e = error_text(
        MINIMAL,
        &[("CENTRAL_AUTH_CLIENTID", "DOSA_1"), ("CENTRAL_AUTH_URL", "http://login.axway.com/auth")],
    );
    assert!(
        e.contains("central.auth.url (set by CENTRAL_AUTH_URL): central.auth.url 'http://login.axway.com/auth' must be https://"),
        "{e}"
    );
}

#[test]
fn a_bad_aws_filter_names_its_env_variable_and_the_position() {
    assert_eq!(with_env(MINIMAL, &[("AWS_FILTER", "tag.Env == prod")]).unwrap().aws.filter, "tag.Env == prod");
    let e = error_text(MINIMAL, &[("AWS_FILTER", "tag.Env === prod")]);
    assert!(
        e.contains(
            "aws.filter (set by AWS_FILTER): 'tag.Env === prod' is not a tag filter: expected a value at character 11"
        ),
        "{e}"
    );
}

#[test]
fn start_position_is_beginning_end_or_a_time() {
    let at = |v: &str| with_env(MINIMAL, &[("AWS_POLL_START_POSITION", v)]).map(|c| c.aws.poll.start_position);
    assert_eq!(at("end").unwrap(), StartPosition::End);
    assert_eq!(at("beginning").unwrap(), StartPosition::Beginning);
    let t = at("2026-12-01T00:00:00Z").unwrap();
    assert_eq!(t, StartPosition::At(1_796_083_200_000));
    assert_eq!(t.to_string(), "2026-12-01T00:00:00Z");
    assert_eq!(at("2026-12-01T01:00:00.5+01:00").unwrap(), StartPosition::At(1_796_083_200_500));
    let e = at("yesterday").unwrap_err().to_string();
    assert!(
        e.contains("aws.poll.start_position (set by AWS_POLL_START_POSITION): 'yesterday' is not a start position; expected beginning, end or an RFC 3339 time"),
        "{e}"
    );
}

#[test]
fn secrets_can_come_from_files_as_docker_and_kubernetes_mount_them() {
    let dir = tempfile::tempdir().unwrap();
    let (id, key) = (dir.path().join("aws_access_key"), dir.path().join("aws_secret_key"));
    std::fs::write(&id, "AKIAFROMFILE0000\n").unwrap();
    std::fs::write(&key, "s3cr3t/from+file\r\n").unwrap();
    let (id_s, key_s) = (id.display().to_string(), key.display().to_string());
    let c = with_env(MINIMAL, &[("AWS_AUTH_ACCESSKEY_FILE", &id_s), ("AWS_AUTH_SECRETKEY_FILE", &key_s)]).unwrap();
    assert_eq!(
        (c.aws.auth.access_key.expose(), c.aws.auth.secret_key.expose()),
        ("AKIAFROMFILE0000", "s3cr3t/from+file")
    );
    let with_yaml = load_from_str(
        &format!("aws:\n  region: eu-west-1\n  log_group: g\n  auth:\n    access_key_file: {id_s}\n    secret_key_file: {key_s}\ncentral:\n  organization_id: o\n  environment_id: e\n"),
        "t.yaml",
        |_| None,
    )
    .unwrap();
    assert_eq!(with_yaml.aws.auth.secret_key.expose(), "s3cr3t/from+file");

    let e = error_text(MINIMAL, &[("AWS_AUTH_SECRETKEY_FILE", "/run/secrets/missing"), ("AWS_AUTH_ACCESSKEY", "x")]);
    assert!(
        e.contains(
            "aws.auth.secret_key_file (set by AWS_AUTH_SECRETKEY_FILE): cannot read /run/secrets/missing: No such file"
        ),
        "{e}"
    );
    let e = error_text(MINIMAL, &[("AWS_AUTH_SECRETKEY_FILE", &key_s), ("AWS_AUTH_SECRETKEY", "inline-value-123")]);
    assert!(
        e.contains("aws.auth.secret_key: set either the value (AWS_AUTH_SECRETKEY) or the file (aws.auth.secret_key_file, AWS_AUTH_SECRETKEY_FILE), not both"),
        "{e}"
    );
    assert!(!e.contains("inline-value-123") && !e.contains("s3cr3t"), "{e}");
}
