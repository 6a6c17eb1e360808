use std::io::Write;

use super::*;

type Collected = (
    Vec<(Option<u64>, Value)>,
    Vec<EventProblem>,
    Option<(u64, String)>,
);

fn collect(name: &str, content: &str) -> Collected {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    File::create(&path)
        .unwrap()
        .write_all(content.as_bytes())
        .unwrap();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    let res = read(&path, Format::of(&path).unwrap(), |item, _| match item {
        Item::Event(e) => events.push((e.line, e.value)),
        Item::Invalid(p) => problems.push(p),
    });
    let err = match res {
        Ok(()) => None,
        Err(ReadError::Malformed(m)) => Some((m.line, m.message)),
        Err(ReadError::Io(e)) => panic!("{e}"),
    };
    (events, problems, err)
}

#[test]
fn json_lines_with_blank_lines_and_line_numbers() {
    let (ev, _, err) = collect("a.jsonl", "{\"id\":\"a\"}\n\n{\"id\":\"b\"}\n");
    assert!(err.is_none());
    assert_eq!(
        ev.iter().map(|e| e.0).collect::<Vec<_>>(),
        [Some(1), Some(3)]
    );
    let (_, _, err) = collect("a.jsonl", "{\"id\":\"a\"}\n{oops\n");
    assert_eq!(err.unwrap().0, 2);
}

#[test]
fn json_arrays_stream_element_by_element() {
    let (ev, _, err) = collect(
        "a.json",
        "[\n  {\"id\":\"a\"},\n  {\"id\":\"b\",\n   \"x\":[1,2]}\n]\n",
    );
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        ev.iter().map(|e| e.0).collect::<Vec<_>>(),
        [Some(2), Some(3)]
    );
    assert_eq!(ev[1].1["x"], serde_json::json!([1, 2]));
    let (ev, _, err) = collect("e.json", "[]");
    assert!(ev.is_empty() && err.is_none());
    let (_, _, err) = collect("b.json", "{\"id\":\"a\"}");
    assert!(err.unwrap().1.contains("事件数组"));
    let (_, _, err) = collect("c.json", "[{\"id\":\"a\"}\n{\"id\":\"b\"}]");
    assert_eq!(err.unwrap().0, 2);
    let (_, _, err) = collect("d.json", "[{\"id\":\"a\"},");
    assert!(err.is_some());
    let (ev, _, err) = collect("n.json", "[1, {\"id\":\"a\"}]");
    assert_eq!(
        (ev.len(), err),
        (2, None),
        "a number element is read and left to validation"
    );
}

#[test]
fn csv_columns_and_data_as_json() {
    let text = "id,type,case,subject,at,unit,officer,data\n\
                e1,detention.started,C1,P1,2026-03-01T10:00:00+08:00,U1,O1,\n\
                e2,case.accepted,C1,,2026-03-01T09:00:00+08:00,,,\"{\"\"kind\"\":\"\"criminal\"\"}\"\n\
                e3,case.filed,C1,,2026-03-01T09:00:00+08:00,,,{bad\n";
    let (ev, problems, err) = collect("a.csv", text);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].1["subject"], "P1");
    assert!(
        ev[1].1.get("subject").is_none(),
        "an empty cell is an absent field"
    );
    assert_eq!(ev[1].1["data"]["kind"], "criminal");
    assert_eq!(problems.len(), 1);
    assert_eq!(
        (problems[0].line, problems[0].error.field.as_str()),
        (Some(4), "data")
    );

    let (_, _, err) = collect("b.csv", "id,type,case,at,color\n");
    assert!(err.unwrap().1.contains("未知列 `color`"));
    let (_, _, err) = collect("c.csv", "id,type,at\n");
    assert!(err.unwrap().1.contains("`case`"));
    let (_, _, err) = collect("d.csv", "id,type,case,at\na,b,c\n");
    assert_eq!(err.unwrap().0, 2);
}
