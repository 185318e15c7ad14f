//! Tests of access-log parsing, including the format file we ship.

use super::*;

/// The shipped format with every `$context.*` placeholder replaced by a value API Gateway would log.
fn shipped_format_filled(overrides: &[(&str, &str)]) -> String {
    format_filled("access-log-format.json", overrides)
}

/// A format file of config/ with every placeholder filled.
fn format_filled(file: &str, overrides: &[(&str, &str)]) -> String {
    let template = std::fs::read_to_string(format!("{}/config/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut values: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&template).unwrap();
    let sample = |var: &str| -> &str {
        match var {
            "$context.requestId" => "c0ffee00-1111-4222-8333-444455556666",
            "$context.extendedRequestId" => "XyZ1aH3oFiAEJbQ=",
            "$context.requestTime" => "04/Dec/2026:14:44:25 +0000",
            "$context.requestTimeEpoch" => "1796395465123",
            "$context.httpMethod" => "POST",
            "$context.resourcePath" => "/pets/{id}",
            "$context.path" => "/prod/pets/42",
            "$context.protocol" => "HTTP/1.1",
            "$context.status" => "201",
            "$context.responseLength" => "512",
            "$context.responseLatency" => "87",
            "$context.integrationLatency" => "80",
            "$context.integration.status" => "201",
            "$context.identity.sourceIp" => "198.51.100.7",
            "$context.identity.userAgent" => "curl/8.5.0",
            "$context.apiId" => "a1b2c3d4e5",
            "$context.stage" => "prod",
            "$context.domainName" => "api.example.com",
            "$context.accountId" => "123456789012",
            "$context.routeKey" => "POST /pets/{id}",
            "$context.integrationStatus" => "201",
            "$context.integrationErrorMessage" => "-",
            _ => "-",
        }
    };
    for v in values.values_mut() {
        let var = v.as_str().unwrap().to_string();
        *v = sample(&var).into();
    }
    for (k, v) in overrides {
        values.insert(k.to_string(), (*v).into());
    }
    serde_json::Value::Object(values).to_string()
}

#[test]
fn shipped_format_has_both_request_ids() {
    let template =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/access-log-format.json")).unwrap();
    assert!(template.contains("\"$context.requestId\"") && template.contains("\"$context.extendedRequestId\""));
    assert_eq!(template.trim().lines().count(), 1, "API Gateway wants the format on one line");
}

#[test]
fn a_line_in_the_shipped_format_parses_completely() {
    let call = parse(&shipped_format_filled(&[]), 0).unwrap();
    assert_eq!(
        call,
        ApiCall {
            request_id: "c0ffee00-1111-4222-8333-444455556666".into(),
            extended_request_id: Some("XyZ1aH3oFiAEJbQ=".into()),
            timestamp_ms: 1_796_395_465_123,
            http_method: "POST".into(),
            path: "/prod/pets/42".into(),
            resource_path: Some("/pets/{id}".into()),
            protocol: Some("HTTP/1.1".into()),
            status: 201,
            response_length: Some(512),
            response_latency_ms: Some(87),
            integration_latency_ms: Some(80),
            integration_status: Some("201".into()),
            source_ip: Some("198.51.100.7".into()),
            user_agent: Some("curl/8.5.0".into()),
            caller: None,
            api_id: Some("a1b2c3d4e5".into()),
            stage: Some("prod".into()),
            domain_name: Some("api.example.com".into()),
            account_id: Some("123456789012".into()),
            error_message: None,
            error_response_type: None,
            xray_trace_id: None,
            route_key: None,
            integration_error_message: None,
            query: vec![],
            request_headers: vec![],
            response_headers: vec![],
        }
    );
}

#[test]
fn dashes_are_absent_and_numbers_may_be_unquoted() {
    let line = r#"{"requestId":"r1","httpMethod":"GET","path":"/x","status":404,"responseLength":"-","responseLatency":12,"caller":"-"}"#;
    let call = parse(line, 77).unwrap();
    assert_eq!((call.status, call.response_length, call.response_latency_ms, call.caller), (404, None, Some(12), None));
    assert_eq!(call.timestamp_ms, 77, "no time in the line: the CloudWatch timestamp is used");
}

#[test]
fn request_time_is_used_without_the_epoch() {
    let line = shipped_format_filled(&[("requestTimeEpoch", "-")]);
    assert_eq!(parse(&line, 0).unwrap().timestamp_ms, 1_796_395_465_000);
}

#[test]
fn malformed_lines_are_rejected_with_a_reason() {
    let cases: Vec<(String, Rejected)> = vec![
        ("not json".into(), Rejected::UnknownFormat),
        ("{not json".into(), Rejected::NotJson("key must be a string at line 1 column 2".into())),
        ("[1,2]".into(), Rejected::NotJson("a JSON value that is not an object".into())),
        (shipped_format_filled(&[("requestId", "-")]), Rejected::MissingRequestId),
        (shipped_format_filled(&[("status", "OK")]), Rejected::BadStatus("OK".into())),
        (shipped_format_filled(&[("status", "999")]), Rejected::BadStatus("999".into())),
        (
            shipped_format_filled(&[("responseLatency", "fast")]),
            Rejected::BadNumber { field: "responseLatency", value: "fast".into() },
        ),
        (
            shipped_format_filled(&[("requestTimeEpoch", "-"), ("requestTime", "yesterday")]),
            Rejected::BadTime("yesterday".into()),
        ),
        (shipped_format_filled(&[("httpMethod", "-")]), Rejected::MissingField("httpMethod")),
        ("x".repeat(MAX_LINE_BYTES + 1), Rejected::Oversized(MAX_LINE_BYTES + 1)),
    ];
    for (line, expected) in cases {
        assert_eq!(parse(&line, 0), Err(expected));
    }
}

/// The CLF line the API Gateway console proposes, as it logs it.
const CLF_LINE: &str = r#"198.51.100.7 - - [04/Dec/2026:14:44:25 +0000] "GET /pets/{id} HTTP/1.1" 404 128 c0ffee00-1111-4222-8333-444455556666 XyZ1aH3oFiAEJbQ="#;

#[test]
fn the_consoles_clf_format_parses() {
    let call = parse(CLF_LINE, 0).unwrap();
    assert_eq!(
        call,
        ApiCall {
            request_id: "c0ffee00-1111-4222-8333-444455556666".into(),
            extended_request_id: Some("XyZ1aH3oFiAEJbQ=".into()),
            timestamp_ms: 1_796_395_465_000,
            http_method: "GET".into(),
            path: "/pets/{id}".into(),
            resource_path: Some("/pets/{id}".into()),
            protocol: Some("HTTP/1.1".into()),
            status: 404,
            response_length: Some(128),
            source_ip: Some("198.51.100.7".into()),
            ..ApiCall::default()
        }
    );
    // Without extendedRequestId (older stages), and with "-" values.
    let short = r#"198.51.100.7 - - [04/Dec/2026:14:44:25 +0000] "POST /orders HTTP/1.1" 201 - r-2"#;
    let call = parse(short, 0).unwrap();
    assert_eq!(
        (call.request_id.as_str(), call.extended_request_id, call.response_length, call.status),
        ("r-2", None, None, 201)
    );
}

#[test]
fn malformed_clf_lines_are_rejected_with_a_reason() {
    let with = |from: &str, to: &str| CLF_LINE.replace(from, to);
    assert_eq!(parse(&with(" 404 ", " 4O4 "), 0), Err(Rejected::BadStatus("4O4".into())));
    assert_eq!(parse(&with("04/Dec/2026:14:44:25 +0000", "yesterday"), 0), Err(Rejected::BadTime("yesterday".into())));
    assert_eq!(
        parse(&with(" 128 ", " lots "), 0),
        Err(Rejected::BadNumber { field: "responseLength", value: "lots".into() })
    );
    assert_eq!(parse(&with(" c0ffee00-1111-4222-8333-444455556666 ", " - "), 0), Err(Rejected::MissingRequestId));
    assert_eq!(parse("198.51.100.7 - - [04/Dec/2026:14:44:25 +0000] GET", 0), Err(Rejected::UnknownFormat));
}

#[test]
fn a_line_in_the_shipped_http_api_format_parses_with_its_route_key() {
    let call = parse(&format_filled("access-log-format-http-api.json", &[]), 0).unwrap();
    assert_eq!(call.route_key.as_deref(), Some("POST /pets/{id}"));
    assert_eq!(call.resource_path.as_deref(), Some("/pets/{id}"), "taken from the route key");
    assert_eq!((call.status, call.response_latency_ms, call.integration_latency_ms), (201, Some(87), Some(80)));
    assert_eq!(call.integration_status.as_deref(), Some("201"));
    assert_eq!(call.integration_error_message, None);
    let failed = format_filled("access-log-format-http-api.json", &[("integrationErrorMessage", "Connection refused")]);
    assert_eq!(parse(&failed, 0).unwrap().integration_error_message.as_deref(), Some("Connection refused"));
}
