//! A pack with mistakes is refused with each problem's file, rule and position.

#![cfg(test)]

use casewatch_engine::{Pack, PackProblem};

const GOOD: &str = r#"
id = "r1"
name = "测试"
kind = "clock"
basis = "刑诉法 85"
status = "V1"
calendar = "custody"

[[start]]
on = "detention.started"
when = 'case.kind == "criminal"'

[[stop]]
on = "custody.admitted"

[limit]
hours = 24
"#;

fn problems(file: &str, text: &str) -> Vec<PackProblem> {
    match Pack::compile("t".into(), "1".into(), String::new(), &[(file, text)]) {
        Ok(_) => Vec::new(),
        Err(e) => e.0,
    }
}

/// Asserts one problem whose message contains `fragment`, at `line` when given.
fn check(text: &str, fragment: &str, line: Option<usize>) {
    let p = problems("clocks/r1.toml", text);
    assert!(!p.is_empty(), "expected a problem containing `{fragment}`");
    let hit = p
        .iter()
        .find(|x| x.message.contains(fragment))
        .unwrap_or_else(|| panic!("no problem contains `{fragment}`: {p:#?}"));
    assert_eq!(hit.file, "clocks/r1.toml");
    if let Some(line) = line {
        assert_eq!(hit.position.map(|x| x.0), Some(line), "{hit:?}");
    }
}

#[test]
fn a_good_rule_compiles() {
    assert!(problems("clocks/r1.toml", GOOD).is_empty());
}

#[test]
fn toml_syntax_errors_have_a_position() {
    check(
        &GOOD.replace("hours = 24", "hours = "),
        "TOML 格式错误",
        Some(17),
    );
}

#[test]
fn unknown_event_types_are_named() {
    check(
        &GOOD.replace("on = \"custody.admitted\"", "on = \"custody.admited\""),
        "未知事件类型 `custody.admited`",
        Some(14),
    );
}

#[test]
fn unknown_fields_of_events_and_data_are_named() {
    check(
        &GOOD.replace("case.kind == \"criminal\"", "event.data.mode == \"x\""),
        "`event.data` 没有字段 `mode`",
        Some(11),
    );
    check(
        &GOOD.replace("case.kind == \"criminal\"", "case.knd == \"criminal\""),
        "`case` 没有字段 `knd`",
        None,
    );
    check(
        &GOOD.replace("case.kind == \"criminal\"", "person.minor"),
        "未知变量 `person`",
        None,
    );
    check(
        &GOOD.replace("case.kind == \"criminal\"", "start.at == \"x\""),
        "此处不能使用 `start`",
        None,
    );
}

#[test]
fn cel_syntax_errors_point_into_the_expression() {
    let p = problems(
        "clocks/r1.toml",
        &GOOD.replace("case.kind == \"criminal\"", "case.kind == "),
    );
    let hit = p
        .iter()
        .find(|x| x.message.contains("CEL 语法错误"))
        .unwrap_or_else(|| panic!("{p:#?}"));
    assert_eq!(hit.rule.as_deref(), Some("r1"));
    assert_eq!(hit.position.map(|x| x.0), Some(11));
}

#[test]
fn cel_type_errors_are_found_before_any_case_is_evaluated() {
    check(
        &GOOD.replace("case.kind == \"criminal\"", "case.kind > 3"),
        "类型错误",
        Some(11),
    );
    check(
        &GOOD.replace("case.kind == \"criminal\"", "case.kind"),
        "应为布尔值",
        Some(11),
    );
    check(
        &GOOD.replace("hours = 24", "hours = 'start.data'"),
        "应为整数",
        None,
    );
}

#[test]
fn impossible_limits_are_refused() {
    check(
        &GOOD.replace("hours = 24", "hours = 0"),
        "期限 `0` 不合理",
        Some(17),
    );
    check(
        &GOOD.replace("hours = 24", "days = 5000"),
        "期限 `5000` 不合理",
        None,
    );
    check(
        &GOOD.replace("hours = 24", "hours = 24\ndays = 3"),
        "只能有一个",
        None,
    );
    check(
        &GOOD.replace("hours = 24", "at = \"due_back\""),
        "没有时间字段 `due_back`",
        None,
    );
    check(
        &GOOD.replace(
            "calendar = \"custody\"",
            "calendar = \"custody\"\nwarning = 1.5",
        ),
        "warning `1.5`",
        None,
    );
    check(
        &format!("{GOOD}\n[[pause]]\nstart = \"appraisal.started\"\nend = \"appraisal.ended\"\n"),
        "不能设置 [[pause]]",
        None,
    );
}

#[test]
fn structural_mistakes_are_named() {
    check(
        &GOOD.replace("kind = \"clock\"", "kind = \"timer\""),
        "kind `timer` 无效",
        Some(4),
    );
    check(
        &GOOD.replace("id = \"r1\"", "id = \"r2\""),
        "与文件名 `r1` 不一致",
        Some(2),
    );
    check(
        &GOOD.replace("[[stop]]\non = \"custody.admitted\"\n", ""),
        "缺少 [[stop]]",
        None,
    );
    check(
        &GOOD.replace("calendar = \"custody\"", "calendar = \"lunar\""),
        "calendar `lunar` 无效",
        None,
    );
    check(
        &GOOD.replace("status = \"V1\"", "status = \"V1\"\ncolour = \"red\""),
        "unknown field `colour`",
        None,
    );
    check(
        &format!("{GOOD}\n[[extend]]\non = \"custody.extended\"\nadd_months = 1\n"),
        "延长方式与期限单位不符",
        None,
    );
    check(
        &GOOD.replace(
            "basis = \"刑诉法 85\"\n",
            "basis = \"刑诉法 85\"\nin_force = { from = \"2026-13-01\" }\n",
        ),
        "in_force 的日期 `2026-13-01` 无效",
        None,
    );
}

#[test]
fn relative_limits_must_name_another_clock() {
    let text = GOOD.replace(
        "hours = 24",
        "before_rule = \"nope\"\noffset = { days = 7 }",
    );
    check(&text, "limit.before_rule 指向的 `nope`", None);
}

#[test]
fn duplicate_ids_are_refused() {
    let err = Pack::compile(
        "t".into(),
        "1".into(),
        String::new(),
        &[("clocks/r1.toml", GOOD), ("checks/r1.toml", GOOD)],
    );
    let p = err.err().map(|e| e.0).unwrap_or_default();
    assert!(
        p.iter().any(|x| x.message.contains("规则编号重复")),
        "{p:#?}"
    );
}

#[test]
fn a_pack_from_files_in_memory_is_checked_like_a_folder() {
    let files = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(p, t)| ((*p).to_owned(), (*t).to_owned()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let meta = "name = \"测试包\"\nversion = \"2\"\n";
    let pack = Pack::from_files(files(&[("pack.toml", meta), ("clocks/r1.toml", GOOD)]))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((pack.name.as_str(), pack.version.as_str()), ("测试包", "2"));
    assert_eq!(pack.files.len(), 2, "the pack keeps its files");

    let broken = GOOD.replace("custody.admitted", "custody.admited");
    let err = Pack::from_files(files(&[
        ("clocks/r1.toml", &broken),
        ("rules/r2.toml", GOOD),
        ("clocks/../x.toml", GOOD),
    ]))
    .err()
    .map(|e| e.0)
    .unwrap_or_default();
    let described: Vec<String> = err.iter().map(ToString::to_string).collect();
    assert!(
        described
            .iter()
            .any(|p| p.starts_with("pack.toml：缺少 pack.toml")),
        "{described:#?}"
    );
    assert!(
        described
            .iter()
            .any(|p| p.starts_with("rules/r2.toml：不是规则包的文件")),
        "{described:#?}"
    );
    assert!(
        described
            .iter()
            .any(|p| p.starts_with("clocks/../x.toml："))
    );
    let typo = err
        .iter()
        .find(|p| p.message.contains("custody.admited"))
        .unwrap_or_else(|| panic!("{described:#?}"));
    assert_eq!(
        (
            typo.file.as_str(),
            typo.rule.as_deref(),
            typo.position.map(|p| p.0)
        ),
        ("clocks/r1.toml", Some("r1"), Some(14))
    );

    let none = Pack::from_files(files(&[("pack.toml", meta)]))
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(
        none.iter().any(|p| p.message.contains("没有规则")),
        "{none:#?}"
    );
}
