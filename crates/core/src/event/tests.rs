//! Every validation rule of the interchange format, with the message it produces.

use serde_json::json;

use super::*;

fn now() -> Timestamp {
    "2026-03-10T12:00:00+08:00".parse().unwrap_or_default()
}

fn opts() -> ParseOptions {
    ParseOptions { now: Some(now()) }
}

fn base() -> Value {
    json!({"id": "e-1", "type": "detention.started", "case": "C1", "subject": "P1",
           "at": "2026-03-01T10:23:00+08:00", "unit": "U-1", "officer": "O-1"})
}

fn with(mut v: Value, key: &str, x: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        if x.is_null() {
            o.remove(key);
        } else {
            o.insert(key.into(), x);
        }
    }
    v
}

/// Asserts that `v` is refused with exactly the `(field, code)` pairs given, each message
/// containing the given fragment.
fn check_err(v: Value, expected: &[(&str, &str, &str)]) {
    let errs = match Event::parse(&v, opts()) {
        Ok(e) => panic!("expected errors, parsed {e:?}"),
        Err(errs) => errs,
    };
    let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
    let want: Vec<(&str, &str)> = expected.iter().map(|(f, c, _)| (*f, *c)).collect();
    assert_eq!(got, want, "errors: {errs:#?}");
    for (err, (_, _, frag)) in errs.iter().zip(expected) {
        assert!(
            err.message.contains(frag),
            "message `{}` lacks `{frag}`",
            err.message
        );
    }
}

#[test]
fn a_valid_event_parses_and_keeps_unknown_data() {
    let v = with(
        base(),
        "data",
        json!({"note": "kept", "nested": {"b": 1, "a": 2}}),
    );
    let e = Event::parse(&v, opts()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(e.id.as_str(), "e-1");
    assert_eq!(e.event_type, EventType::DetentionStarted);
    assert_eq!(e.data.get("note"), Some(&json!("kept")));
    assert_eq!(
        e.canonical_json(),
        r#"{"at":"2026-03-01T10:23:00+08:00","case":"C1","data":{"nested":{"a":2,"b":1},"note":"kept"},"id":"e-1","officer":"O-1","subject":"P1","type":"detention.started","unit":"U-1"}"#
    );
}

#[test]
fn the_same_instant_in_another_offset_is_the_same_content() {
    let a = Event::parse(&base(), opts()).unwrap_or_else(|e| panic!("{e:?}"));
    let b = Event::parse(&with(base(), "at", json!("2026-03-01T02:23:00Z")), opts())
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(a.content_hash(), b.content_hash());
}

#[test]
fn required_top_level_fields() {
    check_err(
        with(base(), "id", Value::Null),
        &[("id", "required", "缺少必填字段 `id`")],
    );
    check_err(
        with(base(), "type", Value::Null),
        &[("type", "required", "`type`")],
    );
    check_err(
        with(base(), "case", Value::Null),
        &[("case", "required", "`case`")],
    );
    check_err(
        with(base(), "at", Value::Null),
        &[("at", "required", "`at`")],
    );
    check_err(
        with(base(), "subject", Value::Null),
        &[(
            "subject",
            "required",
            "`detention.started` 事件必须填写 subject",
        )],
    );
}

#[test]
fn not_an_object() {
    check_err(json!([1, 2]), &[("", "not_object", "JSON 对象")]);
}

#[test]
fn wrong_types_of_top_level_fields() {
    check_err(
        with(base(), "id", json!(7)),
        &[("id", "wrong_type", "应为字符串，收到 数字")],
    );
    check_err(
        with(base(), "data", json!([1])),
        &[("data", "wrong_type", "data 必须是 JSON 对象")],
    );
    check_err(
        with(base(), "unit", json!(true)),
        &[("unit", "wrong_type", "布尔值")],
    );
}

#[test]
fn id_character_set_and_length() {
    check_err(
        with(base(), "id", json!("e 1")),
        &[("id", "invalid_id", "含有字符 ` `")],
    );
    check_err(
        with(base(), "id", json!("")),
        &[("id", "invalid_id", "不能为空")],
    );
    check_err(
        with(base(), "id", json!("x".repeat(129))),
        &[("id", "invalid_id", "最多 128")],
    );
    check_err(
        with(base(), "case", json!("案件1")),
        &[("case", "invalid_id", "含有字符 `案`")],
    );
    check_err(
        with(base(), "officer", json!("")),
        &[("officer", "invalid_id", "不能为空")],
    );
}

#[test]
fn unknown_types_and_extensions() {
    check_err(
        with(base(), "type", json!("detention.begun")),
        &[("type", "unknown_type", "未知事件类型 `detention.begun`")],
    );
    let ext = with(base(), "type", json!("x-sms.sent"));
    let e = Event::parse(&ext, opts()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(e.event_type.as_str(), "x-sms.sent");
}

#[test]
fn unknown_top_level_fields_are_refused() {
    check_err(
        with(base(), "extra", json!(1)),
        &[("extra", "unknown_field", "未知字段 `extra`")],
    );
}

#[test]
fn instants_must_carry_an_offset() {
    check_err(
        with(base(), "at", json!("2026-03-01 10:23")),
        &[("at", "invalid_time", "RFC 3339")],
    );
    check_err(
        with(base(), "at", json!("2026-03-01T10:23:00")),
        &[("at", "invalid_time", "时区偏移")],
    );
}

#[test]
fn at_more_than_five_minutes_in_the_future_is_refused() {
    check_err(
        with(base(), "at", json!("2026-03-10T12:05:01+08:00")),
        &[("at", "future_time", "超过 5 分钟")],
    );
    // Exactly five minutes ahead is still accepted.
    assert!(
        Event::parse(
            &with(base(), "at", json!("2026-03-10T12:05:00+08:00")),
            opts()
        )
        .is_ok()
    );
    // `casewatch check` evaluates at any instant and disables the check.
    let far = with(base(), "at", json!("2030-01-01T00:00:00+08:00"));
    assert!(Event::parse(&far, ParseOptions { now: None }).is_ok());
}

#[test]
fn case_events_take_no_subject() {
    let v = json!({"id": "e-1", "type": "case.filed", "case": "C1", "subject": "P1", "at": "2026-03-01T10:23:00+08:00"});
    check_err(v, &[("subject", "subject_not_allowed", "案件级事件")]);
}

fn typed(ty: &str, subject: Option<&str>, data: Value) -> Value {
    let mut v = json!({"id": "e-1", "type": ty, "case": "C1", "at": "2026-03-01T10:23:00+08:00", "data": data});
    if let (Some(s), Some(o)) = (subject, v.as_object_mut()) {
        o.insert("subject".into(), json!(s));
    }
    v
}

#[test]
fn required_data_fields() {
    check_err(
        typed("case.accepted", None, json!({})),
        &[("data.kind", "required", "`data.kind`")],
    );
    check_err(
        typed("case.review_extended", None, json!({})),
        &[("data.days", "required", "`data.days`")],
    );
    check_err(
        typed("person.registered", Some("P1"), json!({})),
        &[("data.role", "required", "`data.role`")],
    );
    check_err(
        typed(
            "property.checked_out",
            Some("X1"),
            json!({"purpose": "鉴定"}),
        ),
        &[("data.due_back", "required", "`data.due_back`")],
    );
    check_err(
        typed("bodycam.recorded", None, json!({})),
        &[("data.recording", "required", "`data.recording`")],
    );
    check_err(
        typed("event.retracted", None, json!({"target": "e-0"})),
        &[("data.reason", "required", "`data.reason`")],
    );
    check_err(
        typed("family.notified", Some("P1"), json!({})),
        &[("data.measure", "required", "`data.measure`")],
    );
    check_err(
        typed("property.seized", Some("X1"), json!({})),
        &[("data.kind", "required", "`data.kind`")],
    );
    check_err(
        typed("case.decided", None, json!({})),
        &[("data.penalty", "required", "`data.penalty`")],
    );
    check_err(
        typed("custody.extended", Some("P1"), json!({})),
        &[("data.months", "required", "`data.months`")],
    );
    check_err(
        typed("bodycam.uploaded", None, json!({"recording": "  "})),
        &[("data.recording", "required", "不能为空")],
    );
}

#[test]
fn data_values_are_type_checked() {
    check_err(
        typed("case.accepted", None, json!({"kind": "civil"})),
        &[(
            "data.kind",
            "not_allowed",
            "`civil` 不在允许范围内（criminal、administrative）",
        )],
    );
    check_err(
        typed("case.review_extended", None, json!({"days": 10})),
        &[("data.days", "not_allowed", "`10` 不在允许范围内（7、30）")],
    );
    check_err(
        typed("arrest.request_extended", Some("P1"), json!({"days": "7"})),
        &[("data.days", "wrong_type", "应为整数")],
    );
    check_err(
        typed(
            "summons.started",
            Some("P1"),
            json!({"mode": "summons", "serious": "yes"}),
        ),
        &[("data.serious", "wrong_type", "应为布尔值")],
    );
    check_err(
        typed(
            "person.registered",
            Some("P1"),
            json!({"role": "suspect", "birth_date": "2008-02-30"}),
        ),
        &[(
            "data.birth_date",
            "invalid_date",
            "`2008-02-30` 不是有效日期",
        )],
    );
    check_err(
        typed(
            "property.checked_out",
            Some("X1"),
            json!({"due_back": "tomorrow"}),
        ),
        &[("data.due_back", "invalid_time", "`tomorrow`")],
    );
    check_err(
        typed(
            "interrogation.started",
            Some("P1"),
            json!({"officers": ["O1", 2]}),
        ),
        &[("data.officers", "wrong_type", "非空字符串数组")],
    );
    check_err(
        typed("freeze.started", Some("A1"), json!({"months": 0})),
        &[("data.months", "out_of_range", "正整数")],
    );
    check_err(
        typed("fine.paid", None, json!({"amount": -5})),
        &[("data.amount", "out_of_range", "不能为负数")],
    );
    check_err(
        typed(
            "event.retracted",
            None,
            json!({"target": "bad id", "reason": "误录"}),
        ),
        &[("data.target", "invalid_id", "`bad id`")],
    );
    check_err(
        typed("area.exited", Some("P1"), json!({"to": "home"})),
        &[("data.to", "not_allowed", "`home`")],
    );
}

#[test]
fn null_optional_fields_count_as_absent() {
    let v = typed(
        "summons.started",
        Some("P1"),
        json!({"mode": "summons", "serious": null}),
    );
    assert!(Event::parse(&v, opts()).is_ok());
}

#[test]
fn every_problem_is_reported_at_once() {
    let v = json!({"id": "", "type": "nope", "at": "x"});
    let errs = Event::parse(&v, opts()).err().unwrap_or_default();
    let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["id", "case", "type", "at"]);
}

#[test]
fn member_finds_what_the_map_finds_in_small_and_large_objects() {
    for n in [0usize, 1, 5, SCAN_MEMBERS, SCAN_MEMBERS + 1, 40] {
        let mut m = Map::new();
        for i in 0..n {
            m.insert(format!("k{i}"), json!(i));
        }
        for key in (0..n + 3)
            .map(|i| format!("k{i}"))
            .chain(["".to_owned(), "k".to_owned()])
        {
            assert_eq!(member(&m, &key), m.get(&key), "{n} members, key `{key}`");
        }
    }
}

#[test]
fn sorting_by_instant_is_stable_and_leaves_sorted_histories_alone() {
    let at = |id: &str, t: &str| {
        Event::parse(
            &with(
                with(base(), "id", json!(id)),
                "at",
                json!(format!("2026-03-01T{t}:00+08:00")),
            ),
            opts(),
        )
        .expect("valid")
    };
    let ids = |v: &[Event]| v.iter().map(|e| e.id.to_string()).collect::<Vec<_>>();
    // Out of order, with two events of the same instant in arrival order.
    let mut events = vec![
        at("e-3", "12:00"),
        at("e-1", "10:00"),
        at("e-2a", "11:00"),
        at("e-2b", "11:00"),
    ];
    sort_by_instant(&mut events);
    assert_eq!(ids(&events), ["e-1", "e-2a", "e-2b", "e-3"]);
    // Already in order (equal instants included): unchanged, also through references.
    let mut refs: Vec<&Event> = events.iter().collect();
    sort_by_instant(&mut refs);
    assert_eq!(
        refs.iter().map(|e| e.id.to_string()).collect::<Vec<_>>(),
        ["e-1", "e-2a", "e-2b", "e-3"]
    );
    // Equal instants arriving the other way round keep that order.
    let mut swapped = vec![at("e-2b", "11:00"), at("e-2a", "11:00"), at("e-1", "10:00")];
    sort_by_instant(&mut swapped);
    assert_eq!(ids(&swapped), ["e-1", "e-2b", "e-2a"]);
}
