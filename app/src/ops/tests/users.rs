//! Unit tests of the users operations' pure helpers.

#![allow(clippy::unwrap_used, clippy::panic)]

use crate::ops::users::typed_custom;
use crate::store::users::{AttributeDef, AttributeType};
use std::collections::HashMap;

fn attr(name: &str, attr_type: AttributeType) -> AttributeDef {
    AttributeDef {
        name: name.into(),
        title: name.into(),
        attr_type,
        required: false,
    }
}

#[test]
fn form_text_is_typed_by_the_schema_and_numbers_keep_their_form() {
    let schema = [
        attr("seats", AttributeType::Number),
        attr("ratio", AttributeType::Number),
        attr("floor", AttributeType::Integer),
        attr("vip", AttributeType::Boolean),
        attr("badge", AttributeType::String),
    ];
    let raw: HashMap<String, String> = [
        ("seats", "5"),
        ("ratio", "0.5"),
        ("floor", " 3 "),
        ("vip", ""),
        ("badge", "B-7"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let typed = typed_custom(&schema, &raw, &serde_json::Map::new(), None).unwrap();
    assert_eq!(typed["seats"], serde_json::json!(5), "an integer stays one");
    assert!(typed["seats"].is_i64());
    assert_eq!(typed["ratio"], serde_json::json!(0.5));
    assert_eq!(typed["floor"], serde_json::json!(3));
    assert!(!typed.contains_key("vip"), "a blank choice is unset");
    assert_eq!(typed["badge"], "B-7");

    let bad: HashMap<String, String> = [("seats", "many"), ("floor", "2.5")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let e = typed_custom(&schema, &bad, &serde_json::Map::new(), None).unwrap_err();
    assert_eq!(e.field_message("seats"), Some("Enter a number."));
    assert_eq!(e.field_message("floor"), Some("Enter a whole number."));

    // Attributes the form left out keep their stored values.
    let mut stored = serde_json::Map::new();
    stored.insert("badge".into(), "A-1".into());
    let typed = typed_custom(&schema, &HashMap::new(), &stored, Some(false)).unwrap();
    assert_eq!(typed["badge"], "A-1");
    assert_eq!(typed["vip"], false, "an unchecked box on create is false");
}

#[test]
fn the_tables_query_is_parsed_with_field_errors_for_what_is_not_listed() {
    use crate::error::AppError;
    use crate::ops::users::{parse_filter, parse_sort, UserSort};
    fn field<T: std::fmt::Debug>(r: Result<T, AppError>) -> String {
        match r {
            Err(AppError::Validation { fields, .. }) => fields[0].field.clone(),
            other => panic!("expected a field error, got {other:?}"),
        }
    }
    let blank = parse_filter(Some(" ".into()), Some(String::new()), None, None).unwrap();
    assert_eq!(blank, crate::ops::users::UserFilter::default());
    let f = parse_filter(Some(" ada ".into()), Some("SUSPENDED".into()), None, None).unwrap();
    assert_eq!(f.search.as_deref(), Some("ada"));
    assert_eq!(f.status, Some(crate::model::UserStatus::Suspended));
    assert_eq!(
        field(parse_filter(None, Some("GONE".into()), None, None)),
        "status"
    );
    assert_eq!(
        field(parse_filter(None, None, Some("x y".into()), None)),
        "realm"
    );
    assert_eq!(
        field(parse_filter(None, None, None, Some("x y".into()))),
        "group"
    );
    assert_eq!(parse_sort(None).unwrap(), UserSort::Name);
    assert_eq!(parse_sort(Some("created")).unwrap(), UserSort::Created);
    assert_eq!(field(parse_sort(Some("age"))), "sort");
    assert_eq!(
        crate::ops::realms::parse_domains("a.test, b.test\nc.test"),
        ["a.test", "b.test", "c.test"]
    );
}
