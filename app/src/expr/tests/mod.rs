#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone, PartialEq)]
enum V {
    S(String),
    N(f64),
    B(bool),
    Null,
}

fn s(x: &str) -> V {
    V::S(x.to_owned())
}

#[derive(Debug, Clone, Default)]
struct User {
    profile: HashMap<String, V>,
    realm: Option<String>,
}

impl UserView for User {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        Some(match self.profile.get(attr)? {
            V::S(s) => ValueRef::Str(s),
            V::N(n) => ValueRef::Number(*n),
            V::B(b) => ValueRef::Bool(*b),
            V::Null => ValueRef::Null,
        })
    }
    fn realm_id(&self) -> Option<&str> {
        self.realm.as_deref()
    }
}

fn user(pairs: &[(&str, V)], realm: Option<&str>) -> User {
    User {
        profile: pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
        realm: realm.map(str::to_owned),
    }
}

fn fixture() -> User {
    user(
        &[
            ("email", s("John.Doe@Acme.com")),
            ("department", s("Sales")),
            ("empty", s("")),
            ("title", V::Null),
            ("age", V::N(42.0)),
            ("contractor", V::B(true)),
            ("active", V::B(false)),
            ("name", s("Ünïcode Straße")),
            ("greek", s("ΟΔΟΣ")),
            ("quote", s("a\"b'c\\d")),
        ],
        Some("realm1"),
    )
}

fn eval(src: &str, u: &User) -> bool {
    compile(src)
        .unwrap_or_else(|e| panic!("{src:?} failed to compile: {e}"))
        .evaluate(u)
}

#[test]
fn evaluates_table() {
    let cases: &[(&str, bool)] = &[
        // == and !=
        (r#"user.profile.department == "Sales""#, true),
        (r#""Sales" == user.profile.department"#, true),
        (r#"user.profile.department == "sales""#, false),
        (r#"user.profile.department != "sales""#, true),
        (r#"user.profile.department != "Sales""#, false),
        (r#"user.profile.email == user.profile.email"#, true),
        (r#"user.profile.department==  'Sales'"#, true),
        // boolean operators
        ("true && true", true),
        ("true && false", false),
        ("false && true", false),
        ("false || false", false),
        ("false || true", true),
        ("true || false", true),
        ("!true", false),
        ("!false", true),
        ("!!true", true),
        ("true == true", true),
        ("true != false", true),
        ("null == null", true),
        ("null != null", false),
        // word operators
        ("true AND false", false),
        ("false OR true", true),
        ("true AND true OR false", true),
        (
            r#"user.profile.department == "Sales" AND user.profile.contractor"#,
            true,
        ),
        ("true&&false||true", true),
        // precedence
        ("true || false && false", true),
        ("(true || false) && false", false),
        ("false && false || true", true),
        ("false && (false || true)", false),
        ("true || true == false", true),
        ("(true || true) == false", false),
        ("!user.profile.age == false", false),
        ("!(user.profile.age == false)", true),
        ("!true || true", true),
        ("!(true || true)", false),
        // methods
        (r#"user.profile.email.startsWith("John")"#, true),
        (r#"user.profile.email.startsWith("john")"#, false),
        (r#"user.profile.email.endsWith("@Acme.com")"#, true),
        (r#"user.profile.email.endsWith("@acme.com")"#, false),
        (r#"user.profile.email.contains("Doe@")"#, true),
        (r#"user.profile.email.contains("doe@")"#, false),
        (
            r#"user.profile.email.toLowerCase().endsWith("@acme.com")"#,
            true,
        ),
        (r#"user.profile.email.toLowerCase().contains("doe@")"#, true),
        (
            r#"user.profile.email.toLowerCase().contains("Doe@")"#,
            false,
        ),
        (
            r#"user.profile.email.toLowerCase() == "john.doe@acme.com""#,
            true,
        ),
        (
            r#"user.profile.email.toUpperCase() == "JOHN.DOE@ACME.COM""#,
            true,
        ),
        (
            r#"user.profile.email.toLowerCase().toUpperCase().startsWith("JOHN.")"#,
            true,
        ),
        (
            r#"user.profile.email.toUpperCase().toLowerCase() == "john.doe@acme.com""#,
            true,
        ),
        (r#"user.profile.email.startsWith(user.profile.email)"#, true),
        (r#""ACME".toLowerCase().contains(user.profile.empty)"#, true),
        (
            r#""xJOHN.DOE@ACME.COMx".contains(user.profile.email.toUpperCase())"#,
            true,
        ),
        (
            r#"user.profile.email.startsWith("John.Doe@Acme.com.")"#,
            false,
        ),
        (
            r#"user.profile.email.endsWith("xJohn.Doe@Acme.com")"#,
            false,
        ),
        (r#""abc".startsWith("ab") && "abc".endsWith("bc")"#, true),
        // function forms
        (r#"String.startsWith(user.profile.email, "John")"#, true),
        (r#"String.endsWith(user.profile.email, ".com")"#, true),
        (r#"String.stringContains(user.profile.email, "Doe")"#, true),
        (
            r#"String.toLowerCase(user.profile.email) == "john.doe@acme.com""#,
            true,
        ),
        (
            r#"String.endsWith(String.toUpperCase(user.profile.email), ".COM")"#,
            true,
        ),
        // empty strings
        (r#""" == """#, true),
        (r#""".startsWith("")"#, true),
        (r#""".endsWith("")"#, true),
        (r#""".contains("")"#, true),
        (r#""".contains("a")"#, false),
        (r#"user.profile.empty == """#, true),
        (r#"user.profile.empty == null"#, false),
        (r#"user.profile.empty.startsWith("")"#, true),
        (r#"user.profile.email.contains("")"#, true),
        (r#"user.profile.email.toLowerCase().contains("")"#, true),
        // missing attributes and null
        ("user.profile.missing == null", true),
        (r#"user.profile.missing == "x""#, false),
        (r#"user.profile.missing != "x""#, true),
        (r#"user.profile.missing == """#, false),
        ("user.profile.missing == user.profile.other", true),
        (r#"user.profile.missing.startsWith("")"#, false),
        (r#"user.profile.missing.contains("")"#, false),
        (r#"user.profile.missing.toLowerCase() == null"#, true),
        (
            r#"user.profile.email.startsWith(user.profile.missing)"#,
            false,
        ),
        ("user.profile.title == null", true),
        (r#"user.profile.title != "x""#, true),
        ("user.profile.missing", false),
        ("!user.profile.missing", true),
        // custom attribute types
        ("user.profile.contractor", true),
        ("user.profile.active", false),
        ("!user.profile.active", true),
        ("user.profile.contractor == true", true),
        ("user.profile.active == false", true),
        (r#"user.profile.contractor == "true""#, false),
        ("user.profile.age == 42", true),
        ("user.profile.age == 42.0", true),
        ("user.profile.age != 41.5", true),
        (r#"user.profile.age == "42""#, false),
        (r#"user.profile.age.startsWith("4")"#, false),
        ("user.profile.age.toLowerCase() == null", true),
        ("user.profile.email", false),
        ("-3 == -3", true),
        // realmId
        (r#"user.realmId == "realm1""#, true),
        (r#"user.realmId.startsWith("realm")"#, true),
        (r#"user.realmId == "r1" OR user.realmId == "realm1""#, true),
        // Unicode and escapes
        (
            r#"user.profile.name.toLowerCase() == "ünïcode straße""#,
            true,
        ),
        (
            r#"user.profile.name.toUpperCase() == "ÜNÏCODE STRASSE""#,
            true,
        ),
        (r#"user.profile.name.toUpperCase().endsWith("SSE")"#, true),
        (r#"user.profile.greek.toLowerCase() == "οδος""#, true),
        (r#"user.profile.quote == "a\"b'c\\d""#, true),
        (r#"user.profile.quote == 'a"b\'c\\d'"#, true),
        (r#"user.profile.quote.contains("\\")"#, true),
        // whitespace
        ("\ttrue\r\n&&\n true ", true),
    ];
    let u = fixture();
    for (src, expected) in cases {
        assert_eq!(eval(src, &u), *expected, "{src}");
    }
}

#[test]
fn user_without_realm_or_profile() {
    let u = User::default();
    assert!(eval("user.realmId == null", &u));
    assert!(!eval(r#"user.realmId == "r""#, &u));
    assert!(!eval(r#"user.realmId.startsWith("")"#, &u));
    assert!(eval(r#"user.profile.email != "x""#, &u));
    assert!(!eval("user.profile.email", &u));
}

#[test]
fn displays_normalized_source() {
    let cases: &[(&str, &str)] = &[
        (r#"user.profile.a=="x""#, r#"user.profile.a == "x""#),
        (
            "user.profile.a AND user.profile.b OR user.profile.c",
            "user.profile.a && user.profile.b || user.profile.c",
        ),
        ("(true || false) && false", "(true || false) && false"),
        ("true || (false && false)", "true || false && false"),
        ("(true && false) && true", "(true && false) && true"),
        (r#"!(user.profile.a == "x")"#, r#"!(user.profile.a == "x")"#),
        ("((user.profile.x))", "user.profile.x"),
        ("!!user.profile.x", "!!user.profile.x"),
        (
            "String.startsWith(user.profile.a, 'x')",
            r#"user.profile.a.startsWith("x")"#,
        ),
        (
            "String.stringContains(String.toLowerCase(user.profile.a), 'x')",
            r#"user.profile.a.toLowerCase().contains("x")"#,
        ),
        (r#"'a"b\'' == user.realmId"#, r#""a\"b'" == user.realmId"#),
        (r#""\\" == user.realmId"#, r#""\\" == user.realmId"#),
        ("(true == false) == false", "(true == false) == false"),
        ("true == (false == false)", "true == (false == false)"),
        ("42.50 == user.profile.n", "42.5 == user.profile.n"),
        ("-0.5 != user.profile.n", "-0.5 != user.profile.n"),
        ("(!user.profile.a) == null", "!user.profile.a == null"),
    ];
    for (src, normalized) in cases {
        let e = compile(src).unwrap();
        assert_eq!(e.to_string(), *normalized, "{src}");
        let again = compile(normalized).unwrap();
        assert_eq!(again.nodes, e.nodes, "{src}");
    }
}

#[test]
fn rejects_bad_input_with_positions() {
    use ExprErrorKind::*;
    // (source, kind, position, message fragment, hint fragment)
    let cases: &[(&str, ExprErrorKind, usize, &str, &str)] = &[
        ("", Syntax, 0, "expected a value, found the end", ""),
        ("   ", Syntax, 3, "expected a value", ""),
        (
            "user.profile.email ==",
            Syntax,
            21,
            "expected a value after '==', found the end of the expression",
            "",
        ),
        (
            r#"user.profile.email == )"#,
            Syntax,
            22,
            "expected a value after '==', found ')'",
            "",
        ),
        (
            r#"user.profile.email.endWith("x")"#,
            Syntax,
            19,
            "unknown method 'endWith'",
            "did you mean endsWith?",
        ),
        (
            r#"user.profile.email.tolowercase() == "x""#,
            Syntax,
            19,
            "unknown method 'tolowercase'",
            "did you mean toLowerCase?",
        ),
        (
            r#"user.profile.a.city == "x""#,
            Syntax,
            15,
            "unknown method 'city'",
            "supported methods: startsWith",
        ),
        (
            r#"user.profile.email = "x""#,
            Syntax,
            19,
            "unexpected '='",
            "did you mean '=='?",
        ),
        (r#"user.profile.a & true"#, Syntax, 15, "unexpected '&'", "'&&'"),
        (
            r#"user.profile.a == "x"#,
            Syntax,
            18,
            "unterminated string",
            "add the closing \"",
        ),
        (
            r#"user.profile.a == 'x"#,
            Syntax,
            18,
            "unterminated string",
            "add the closing '",
        ),
        (
            r#""a\n" == user.realmId"#,
            Syntax,
            2,
            "unknown escape sequence '\\n'",
            "",
        ),
        (
            r#"(user.profile.a == "x""#,
            Syntax,
            22,
            "expected ')'",
            "to close the '(' at position 0",
        ),
        (
            r#"user.profile.a == "x")"#,
            Syntax,
            21,
            "expected '&&', '||' or the end of the expression after '\"x\"', found ')'",
            "no matching '('",
        ),
        (
            r#"user.profile.a == "x" "y""#,
            Syntax,
            22,
            "found the string \"y\"",
            "operator missing",
        ),
        (
            r#"user.profile.a == "x" and true"#,
            Syntax,
            22,
            "found 'and'",
            "did you mean '&&'",
        ),
        ("and", Syntax, 0, "unknown name 'and'", "'&&'"),
        ("TRUE", Syntax, 0, "unknown name 'TRUE'", "did you mean true?"),
        ("email", Syntax, 0, "unknown name 'email'", "user.profile.email"),
        ("AND true", Syntax, 0, "expected a value, found 'AND'", ""),
        ("true AND", Syntax, 8, "expected a value after 'AND'", ""),
        (
            r#"user.profile.a == "x" &&"#,
            Syntax,
            24,
            "expected a value after '&&'",
            "",
        ),
        (
            r#"user.profile.a == "x" == "y""#,
            Syntax,
            22,
            "comparisons cannot be chained",
            "parentheses",
        ),
        (
            "user.profile.",
            Syntax,
            13,
            "expected an attribute name after '.'",
            "",
        ),
        ("user.profile", Syntax, 12, "expected '.' and an attribute name", ""),
        ("user", Syntax, 4, "expected '.'", "user.realmId"),
        (
            r#"user.email == "x""#,
            Syntax,
            5,
            "unknown property 'user.email'",
            "did you mean user.profile.email?",
        ),
        (
            r#"user.realmID == "x""#,
            Syntax,
            5,
            "unknown property 'user.realmID'",
            "did you mean user.realmId?",
        ),
        (
            r#"user.profile.a.startsWith "x""#,
            Syntax,
            26,
            "expected '(' after 'startsWith'",
            "startsWith(…)",
        ),
        (
            "user.profile.a.startsWith()",
            Syntax,
            15,
            "'startsWith' takes 1 argument, found 0",
            "",
        ),
        (
            r#"user.profile.a.startsWith("x", "y")"#,
            Syntax,
            15,
            "'startsWith' takes 1 argument, found 2",
            "",
        ),
        (
            r#"user.profile.a.toLowerCase("x") == "x""#,
            Syntax,
            15,
            "'toLowerCase' takes no arguments, found 1",
            "",
        ),
        (
            r#"user.profile.a.startsWith("x""#,
            Syntax,
            29,
            "expected ',' or ')'",
            "to close the '(' at position 25",
        ),
        (
            r#"String.contains(user.profile.a, "x")"#,
            Syntax,
            7,
            "unknown function 'String.contains'",
            "String.stringContains",
        ),
        (
            r#"String.startWith(user.profile.a, "x")"#,
            Syntax,
            7,
            "unknown function 'String.startWith'",
            "did you mean String.startsWith?",
        ),
        (
            "String.startsWith(user.profile.a)",
            Syntax,
            7,
            "'String.startsWith' takes 2 arguments, found 1",
            "",
        ),
        ("String.toLowerCase() == null", Syntax, 7, "takes 1 argument, found 0", ""),
        (
            "user.profile.a == “x”",
            Syntax,
            18,
            "unexpected character '“'",
            "straight quotes",
        ),
        ("user.profile.a == é", Syntax, 18, "unexpected character 'é'", ""),
        (
            "user.profile.a == 1.5.5",
            Syntax,
            22,
            "expected a method name after '.', found the number 5",
            "",
        ),
        (
            "user.profile.a == 9999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999999",
            Syntax,
            18,
            "number is out of range",
            "",
        ),
        // types
        (
            "user.profile.email.toLowerCase()",
            Type,
            0,
            "must be a condition (true or false), but it is a string",
            "compare it",
        ),
        (r#""abc""#, Type, 0, "but it is a string", ""),
        ("user.realmId", Type, 0, "but it is a string", ""),
        ("null", Type, 0, "but it is null", ""),
        ("(42)", Type, 0, "but it is a number", ""),
        (
            r#"user.profile.a == "x" && "y""#,
            Type,
            25,
            "'&&' needs a condition, but this is a string",
            "",
        ),
        (
            r#""y" OR user.profile.a"#,
            Type,
            0,
            "'||' needs a condition, but this is a string",
            "",
        ),
        (r#"!"x""#, Type, 1, "'!' needs a condition, but this is a string", ""),
        (
            r#"true.startsWith("t")"#,
            Type,
            0,
            "'startsWith' needs a string, but this is a condition",
            "",
        ),
        (
            r#"null.toLowerCase() == null"#,
            Type,
            0,
            "'toLowerCase' needs a string, but this is null",
            "",
        ),
        (
            "user.profile.a.startsWith(true)",
            Type,
            26,
            "the argument of 'startsWith' must be a string, but this is a condition",
            "",
        ),
        (
            "user.profile.a.endsWith(null)",
            Type,
            24,
            "the argument of 'endsWith' must be a string, but this is null",
            "",
        ),
        (
            r#""a" == 1"#,
            Type,
            4,
            "cannot compare a string with a number",
            "never equal",
        ),
        (
            r#"user.profile.a.startsWith("x") == "true""#,
            Type,
            31,
            "cannot compare a condition with a string",
            "",
        ),
        // unsupported
        (
            "user.profile.a > 3",
            Unsupported,
            15,
            "operator '>' is not supported",
            "supported operators",
        ),
        ("user.profile.a >= 3", Unsupported, 15, "operator '>='", ""),
        (
            r#"user.profile.a == "x" ? true : false"#,
            Unsupported,
            22,
            "operator '?'",
            "",
        ),
        (
            r#"isMemberOf("g")"#,
            Unsupported,
            0,
            "'isMemberOf' is not supported in realm assignment expressions",
            "",
        ),
        (
            r#"user.getInternalProperty("status") == "ACTIVE""#,
            Unsupported,
            5,
            "'user.getInternalProperty' is not supported",
            "",
        ),
        (
            "String.len(user.profile.a) == 3",
            Unsupported,
            7,
            "'String.len' is not supported",
            "",
        ),
    ];
    assert!(cases.len() >= 15);
    for (src, kind, position, message, hint) in cases {
        let err = match compile(src) {
            Ok(e) => panic!("{src:?} compiled to {e}"),
            Err(err) => err,
        };
        let shown = err.to_string();
        assert_eq!(err.kind, *kind, "{src:?}: {shown}");
        assert_eq!(err.position, *position, "{src:?}: {shown}");
        assert!(err.message.contains(message), "{src:?}: {shown}");
        assert!(
            hint.is_empty() || err.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{src:?}: {shown}"
        );
        assert!(src.is_char_boundary(err.position), "{src:?}");
    }
}

#[test]
fn error_display() {
    let err = compile(r#"user.profile.email.endWith("x")"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown method 'endWith' at position 19 (did you mean endsWith?)"
    );
    let err = compile("user.profile.email ==").unwrap_err();
    assert_eq!(
        err.to_string(),
        "expected a value after '==', found the end of the expression at position 21"
    );
    let src = r#"user.profile.a == "é" && 1"#;
    let err = compile(src).unwrap_err();
    assert_eq!((err.position, err.char_position(src)), (26, 25));
}

#[test]
fn enforces_bounds() {
    let limit = |src: &str| compile(src).map(|_| ()).map_err(|e| e.kind);

    let long = format!("{}true", "true || ".repeat(MAX_SOURCE_LEN / 8));
    assert!(long.len() > MAX_SOURCE_LEN);
    let err = compile(&long).unwrap_err();
    assert_eq!(
        (err.kind, err.position),
        (ExprErrorKind::Limit, MAX_SOURCE_LEN)
    );
    let wide = format!("\"{}\" == user.realmId", "é".repeat(MAX_SOURCE_LEN));
    assert!(wide.is_char_boundary(compile(&wide).unwrap_err().position));
    assert_eq!(limit(&"(".repeat(1 << 20)), Err(ExprErrorKind::Limit));

    let nested = |n: usize| format!("{}true{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(limit(&nested(MAX_DEPTH)), Ok(()));
    let err = compile(&nested(MAX_DEPTH + 1)).unwrap_err();
    assert_eq!((err.kind, err.position), (ExprErrorKind::Limit, MAX_DEPTH));
    assert!(err.message.contains("nested too deeply"));
    assert_eq!(limit(&nested(4000)), Err(ExprErrorKind::Limit));
    let bangs = |n: usize| format!("{}true", "!".repeat(n));
    assert_eq!(limit(&bangs(MAX_DEPTH)), Ok(()));
    assert_eq!(limit(&bangs(MAX_DEPTH + 1)), Err(ExprErrorKind::Limit));
    assert_eq!(limit(&nested(2000)), Err(ExprErrorKind::Limit));
    let calls = |n: usize| {
        format!(
            "{}user.realmId{} == \"x\"",
            "String.toLowerCase(".repeat(n),
            ")".repeat(n)
        )
    };
    assert_eq!(limit(&calls(MAX_DEPTH)), Ok(()));
    assert_eq!(limit(&calls(MAX_DEPTH + 1)), Err(ExprErrorKind::Limit));

    let ors = |n: usize| vec!["true"; n].join(" || ");
    assert_eq!(limit(&ors(MAX_NODES - 1)), Ok(()));
    let err = compile(&ors(MAX_NODES)).unwrap_err();
    assert_eq!(err.kind, ExprErrorKind::Limit);
    assert!(err.message.contains("too large"), "{err}");

    // Long chains are bounded by the node limit, and evaluate without trouble.
    let chain = format!(
        "user.profile.a{} == \"abc\"",
        ".toUpperCase().toLowerCase()".repeat(126)
    );
    let e = compile(&chain).unwrap();
    assert!(e.evaluate(&user(&[("a", s("ABC"))], None)));
    let chain = format!(
        "user.profile.a{} == \"abc\"",
        ".toLowerCase()".repeat(MAX_NODES)
    );
    assert_eq!(limit(&chain), Err(ExprErrorKind::Limit));
}

#[test]
fn warns_about_impossible_case() {
    let warned = |src: &str| compile(src).unwrap().warnings().to_vec();
    let w = warned(r#"user.profile.email.toLowerCase().endsWith("@Acme.com")"#);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].position, 42);
    assert!(
        w[0].to_string()
            .contains("can never match: the value is lower-cased but \"@Acme.com\" contains upper-case letters"),
        "{}",
        w[0]
    );
    assert_eq!(warned(r#""ABC" == user.profile.a.toLowerCase()"#).len(), 1);
    let w = warned(r#"user.profile.a.toUpperCase() != "abc""#);
    assert!(w[0].message.contains("always matches"), "{}", w[0]);
    assert_eq!(
        warned(r#"user.profile.a.toUpperCase().contains("x")"#).len(),
        1
    );
    assert!(warned(r#"user.profile.email.toLowerCase().endsWith("@acme.com")"#).is_empty());
    assert!(warned(r#"user.profile.email.endsWith("@Acme.com")"#).is_empty());
    assert!(warned(r#"user.profile.a.toUpperCase() == "ÄB1""#).is_empty());
}

#[test]
fn reports_referenced_attributes() {
    let e = compile(
        r#"user.profile.b == "x" || user.profile.a.startsWith(user.profile.b) || user.realmId == "r""#,
    )
    .unwrap();
    assert_eq!(e.referenced_attributes().collect::<Vec<_>>(), ["b", "a"]);
    assert!(e.references_realm_id());
    assert!(!compile("user.profile.x").unwrap().references_realm_id());
}

#[test]
fn expr_is_shareable() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Expr>();
    check::<ExprError>();
    let e: Expr = "user.profile.x".parse().unwrap();
    let u = user(&[("x", V::B(true))], None);
    assert!(e.clone().evaluate(&&u));
    let dynamic: &dyn UserView = &u;
    assert!(e.evaluate(dynamic));
}

// ---- properties ----

const ATTRS: &[&str] = &["a", "b", "email", "flag"];
const WORDS: &[&str] = &[
    "",
    "a",
    "A",
    "ab",
    "Sales",
    "sales",
    "SALES",
    "@acme.com",
    "@ACME.com",
    "é",
    "É",
    "ß",
    "SS",
    "ΟΔΟΣ",
    "ς",
    "σ",
    "İ",
    "i̇",
    "\"q",
    "b\\s",
    "'",
];

#[derive(Debug, Clone)]
enum G {
    Attr(usize),
    Realm,
    Lit(String),
    Num(f64),
    Null,
    T(bool),
    Recase(Case, Box<G>),
    Not(Box<G>),
    And(Vec<G>),
    Or(Vec<G>),
    Eq(Box<G>, Box<G>, bool),
    Test(TestOp, Box<G>, Box<G>),
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(WORDS).prop_map(str::to_owned),
        1 => (prop::sample::select(WORDS), prop::sample::select(WORDS)).prop_map(|(a, b)| format!("{a}{b}")),
    ]
}

fn str_expr() -> BoxedStrategy<G> {
    let leaf = prop_oneof![
        (0..ATTRS.len()).prop_map(G::Attr),
        Just(G::Realm),
        word().prop_map(G::Lit),
    ];
    leaf.prop_recursive(3, 6, 1, |inner| {
        (prop_oneof![Just(Case::Lower), Just(Case::Upper)], inner)
            .prop_map(|(c, g)| G::Recase(c, Box::new(g)))
    })
    .boxed()
}

fn bool_expr() -> BoxedStrategy<G> {
    let op = prop_oneof![
        Just(TestOp::StartsWith),
        Just(TestOp::EndsWith),
        Just(TestOp::Contains)
    ];
    let scalar = prop_oneof![
        Just(G::Null),
        any::<bool>().prop_map(G::T),
        prop::sample::select(&[0.0, 1.0, 42.0, -3.0, 2.5][..]).prop_map(G::Num),
    ];
    let leaf = prop_oneof![
        any::<bool>().prop_map(G::T),
        (0..ATTRS.len()).prop_map(G::Attr),
        (op, str_expr(), str_expr()).prop_map(|(o, r, a)| G::Test(o, Box::new(r), Box::new(a))),
        (str_expr(), str_expr(), any::<bool>()).prop_map(|(a, b, n)| G::Eq(
            Box::new(a),
            Box::new(b),
            n
        )),
        (str_expr(), any::<bool>()).prop_map(|(a, n)| G::Eq(Box::new(a), Box::new(G::Null), n)),
        ((0..ATTRS.len()), scalar, any::<bool>()).prop_map(|(i, v, n)| G::Eq(
            Box::new(G::Attr(i)),
            Box::new(v),
            n
        )),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|g| G::Not(Box::new(g))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(G::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(G::Or),
            (inner.clone(), inner, any::<bool>()).prop_map(|(a, b, n)| G::Eq(
                Box::new(a),
                Box::new(b),
                n
            )),
        ]
    })
    .boxed()
}

fn value() -> impl Strategy<Value = Option<V>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(V::Null)),
        1 => any::<bool>().prop_map(|b| Some(V::B(b))),
        1 => prop::sample::select(&[0.0, 42.0, 2.5][..]).prop_map(|n| Some(V::N(n))),
        6 => word().prop_map(|w| Some(V::S(w))),
    ]
}

fn users() -> impl Strategy<Value = Vec<User>> {
    let one = (
        prop::collection::vec(value(), ATTRS.len()),
        prop::option::of(word()),
    )
        .prop_map(|(values, realm)| User {
            profile: ATTRS
                .iter()
                .zip(values)
                .filter_map(|(k, v)| Some(((*k).to_owned(), v?)))
                .collect(),
            realm,
        });
    prop::collection::vec(one, 12)
}

/// Renders `g` as source, choosing spellings from `style` bits.
struct Renderer {
    bits: u64,
    out: String,
}

impl Renderer {
    fn coin(&mut self) -> bool {
        self.bits = self.bits.rotate_left(1) ^ 0x9E37_79B9_7F4A_7C15;
        self.bits.count_ones().is_multiple_of(2)
    }

    fn ws(&mut self) {
        if self.coin() && self.coin() {
            let space = if self.coin() { " " } else { "\n\t" };
            self.out.push_str(space);
        }
    }

    fn prec(g: &G) -> u8 {
        match g {
            G::Or(_) => 1,
            G::And(_) => 2,
            G::Eq(..) => 3,
            G::Not(_) => 4,
            G::Test(..) | G::Recase(..) => 5,
            _ => 6,
        }
    }

    fn child(&mut self, g: &G, min: u8) {
        let paren = Self::prec(g) < min || (self.coin() && self.coin() && self.coin());
        if paren {
            self.out.push('(');
            self.ws();
        }
        self.render(g);
        if paren {
            self.ws();
            self.out.push(')');
        }
    }

    fn string(&mut self, s: &str) {
        let q = if self.coin() { '"' } else { '\'' };
        self.out.push(q);
        for c in s.chars() {
            if c == q || c == '\\' || (matches!(c, '"' | '\'') && self.coin()) {
                self.out.push('\\');
            }
            self.out.push(c);
        }
        self.out.push(q);
    }

    fn render(&mut self, g: &G) {
        match g {
            G::Attr(i) => {
                self.out.push_str("user.profile.");
                self.out.push_str(ATTRS[*i]);
            }
            G::Realm => self.out.push_str("user.realmId"),
            G::Lit(s) => self.string(s),
            G::Num(n) => self.out.push_str(&n.to_string()),
            G::Null => self.out.push_str("null"),
            G::T(b) => self.out.push_str(&b.to_string()),
            G::Recase(c, r) => {
                if self.coin() {
                    self.out.push_str(&format!("String.{}(", c.method()));
                    self.render(r);
                    self.out.push(')');
                } else {
                    self.child(r, 5);
                    self.out.push_str(&format!(".{}()", c.method()));
                }
            }
            G::Not(a) => {
                self.out.push('!');
                self.ws();
                self.child(a, 4);
            }
            G::And(xs) | G::Or(xs) => {
                let and = matches!(g, G::And(_));
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        self.ws();
                        let op = match (and, self.coin()) {
                            (true, true) => " && ",
                            (true, false) => " AND ",
                            (false, true) => " || ",
                            (false, false) => " OR ",
                        };
                        self.out.push_str(op);
                    }
                    self.child(x, if and { 3 } else { 2 });
                }
            }
            G::Eq(a, b, negate) => {
                self.child(a, 4);
                self.ws();
                self.out.push_str(if *negate { "!=" } else { "==" });
                self.ws();
                self.child(b, 4);
            }
            G::Test(op, r, a) => {
                if self.coin() {
                    let f = match op {
                        TestOp::Contains => "stringContains",
                        _ => op.method(),
                    };
                    self.out.push_str(&format!("String.{f}("));
                    self.render(r);
                    self.out.push_str(", ");
                    self.render(a);
                    self.out.push(')');
                } else {
                    self.child(r, 5);
                    self.out.push_str(&format!(".{}(", op.method()));
                    self.ws();
                    self.render(a);
                    self.out.push(')');
                }
            }
        }
    }
}

fn render(g: &G, bits: u64) -> String {
    let mut r = Renderer {
        bits,
        out: String::new(),
    };
    r.render(g);
    r.out
}

#[derive(Debug, PartialEq)]
enum RV {
    Null,
    B(bool),
    N(f64),
    S(String),
}

/// Reference semantics: allocate freely, use the standard library's case mapping.
fn reference(g: &G, u: &User) -> RV {
    let text = |g: &G| match reference(g, u) {
        RV::S(s) => Some(s),
        _ => None,
    };
    let truth = |g: &G| reference(g, u) == RV::B(true);
    match g {
        G::Attr(i) => match u.profile.get(ATTRS[*i]) {
            None | Some(V::Null) => RV::Null,
            Some(V::S(s)) => RV::S(s.clone()),
            Some(V::N(n)) => RV::N(*n),
            Some(V::B(b)) => RV::B(*b),
        },
        G::Realm => u.realm.clone().map_or(RV::Null, RV::S),
        G::Lit(s) => RV::S(s.clone()),
        G::Num(n) => RV::N(*n),
        G::Null => RV::Null,
        G::T(b) => RV::B(*b),
        G::Recase(c, r) => match (c, text(r)) {
            (Case::Lower, Some(s)) => RV::S(s.to_lowercase()),
            (Case::Upper, Some(s)) => RV::S(s.to_uppercase()),
            _ => RV::Null,
        },
        G::Not(a) => RV::B(!truth(a)),
        G::And(xs) => RV::B(xs.iter().all(truth)),
        G::Or(xs) => RV::B(xs.iter().any(truth)),
        G::Eq(a, b, negate) => RV::B((reference(a, u) == reference(b, u)) != *negate),
        G::Test(op, r, a) => RV::B(match (text(r), text(a)) {
            (Some(r), Some(a)) => match op {
                TestOp::StartsWith => r.starts_with(&a),
                TestOp::EndsWith => r.ends_with(&a),
                TestOp::Contains => r.contains(&a),
            },
            _ => false,
        }),
    }
}

fn token_soup() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(
        &[
            "user",
            ".",
            "profile",
            "realmId",
            "email",
            "(",
            ")",
            "\"x\"",
            "'y'",
            "\"",
            "'",
            "\\",
            "==",
            "!=",
            "=",
            "!",
            "&&",
            "||",
            "AND",
            "OR",
            "&",
            "|",
            "true",
            "false",
            "null",
            "String",
            "startsWith",
            "endsWith",
            "contains",
            "stringContains",
            "toLowerCase",
            "toUpperCase",
            ",",
            " ",
            "42",
            "-1.5",
            "é",
            "“",
            ">",
            "?",
        ][..],
    );
    prop::collection::vec(tokens, 0..60).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(10_000))]

    #[test]
    fn compile_never_panics(src in any::<String>()) {
        let _ = compile(&src);
    }

    #[test]
    fn compile_never_panics_on_token_soup(src in token_soup()) {
        if let Ok(e) = compile(&src) {
            let again = compile(&e.to_string());
            prop_assert!(again.is_ok(), "{src:?} -> {e}");
            let _ = e.evaluate(&fixture());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn display_round_trips_and_matches_reference(g in bool_expr(), bits in any::<u64>(), us in users()) {
        let src = render(&g, bits);
        let e = match compile(&src) {
            Err(err) if err.kind == ExprErrorKind::Limit => return Ok(()),
            other => other.map_err(|err| TestCaseError::fail(format!("{src:?}: {err}")))?,
        };
        let shown = e.to_string();
        let again = compile(&shown).map_err(|err| TestCaseError::fail(format!("{shown:?}: {err}")))?;
        prop_assert_eq!(&again.nodes, &e.nodes, "{} vs {}", src, shown);
        prop_assert_eq!(again.to_string(), shown.clone());
        for u in &us {
            let expected = reference(&g, u) == RV::B(true);
            prop_assert_eq!(e.evaluate(u), expected, "{} on {:?}", src, u);
            prop_assert_eq!(again.evaluate(u), expected, "{} on {:?}", shown, u);
        }
    }

    #[test]
    fn de_morgan(a in bool_expr(), b in bool_expr(), bits in any::<u64>(), us in users()) {
        let (a, b) = (render(&a, bits), render(&b, bits.rotate_left(17)));
        let pairs = [
            (format!("!(({a}) && ({b}))"), format!("!({a}) || !({b})")),
            (format!("!(({a}) || ({b}))"), format!("!({a}) AND !({b})")),
            (format!("!!({a})"), a.clone()),
            (format!("({a}) != true"), format!("!({a})")),
        ];
        for (l, r) in &pairs {
            let (Ok(l), Ok(r)) = (compile(l), compile(r)) else { continue };
            for u in &us {
                prop_assert_eq!(l.evaluate(u), r.evaluate(u), "{} vs {}", l, r);
            }
        }
    }
}

/// Long strings take the buffered search paths the generated expressions rarely reach.
fn long_text_case() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof!["[a-zA-Z@. ]{0,600}", "[a-zA-Z@.é ]{0,600}"],
        any::<prop::sample::Index>(),
        0usize..40,
        any::<u64>(),
    )
        .prop_map(|(hay, start, len, flips)| {
            let chars: Vec<char> = hay.chars().collect();
            let from = start.index(chars.len() + 1);
            let needle = chars
                .iter()
                .skip(from)
                .take(len)
                .enumerate()
                .map(|(i, c)| {
                    if flips >> (i % 64) & 1 == 1 {
                        c.to_ascii_uppercase()
                    } else {
                        *c
                    }
                })
                .collect();
            (hay, needle)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn long_string_methods_match_std((hay, needle) in long_text_case(), ch in 0..3usize, cn in 0..3usize) {
        let case = [None, Some(Case::Lower), Some(Case::Upper)];
        let wrap = |g: G, c: Option<Case>| match c {
            Some(c) => G::Recase(c, Box::new(g)),
            None => g,
        };
        let (h, n) = (wrap(G::Attr(0), case[ch]), wrap(G::Attr(1), case[cn]));
        let u = user(&[("a", s(&hay)), ("b", s(&needle))], None);
        for op in [TestOp::StartsWith, TestOp::EndsWith, TestOp::Contains] {
            let g = G::Test(op, Box::new(h.clone()), Box::new(n.clone()));
            let src = render(&g, 0);
            let expected = reference(&g, &u) == RV::B(true);
            prop_assert_eq!(eval(&src, &u), expected, "{}", src);
        }
        let g = G::Eq(Box::new(h), Box::new(n), false);
        prop_assert_eq!(eval(&render(&g, 0), &u), reference(&g, &u) == RV::B(true));
    }
}

/// Rules an index must get exactly right: indexable ones, ones it must not
/// index (recased, mixed attributes, negated, `contains`), an empty suffix.
const INDEXED_RULES: [&str; 12] = [
    r#"user.profile.email.endsWith("@b.example") && user.profile.department == "Sales""#,
    r#"user.profile.email.toLowerCase().endsWith("@a.example")"#,
    r#"user.profile.email.endsWith("@a.example")"#,
    r#"user.profile.email.endsWith("@c.example") || user.profile.email.endsWith("@d.example")"#,
    r#"user.profile.email.endsWith("@c.example") || user.profile.login.endsWith("@e.example")"#,
    r#"!user.profile.email.endsWith("@e.example") && user.profile.department == "Ops""#,
    r#"user.profile.login.endsWith(".example")"#,
    r#"user.profile.email.contains("@f.")"#,
    r#"user.profile.email.endsWith("")"#,
    r#"user.profile.department == "Sales" && user.profile.email.endsWith("@g.example")"#,
    r#"user.profile.email.endsWith("@b.example")"#,
    r#"user.profile.missing.endsWith("x") || user.profile.missing.endsWith("y")"#,
];

fn linear_first(rules: &[Expr], u: &User) -> Option<usize> {
    rules.iter().position(|r| r.evaluate(u))
}

#[test]
fn the_rule_index_answers_as_the_linear_scan_on_edge_cases() {
    let rules: Vec<Expr> = INDEXED_RULES
        .iter()
        .map(|src| compile(src).unwrap_or_else(|e| panic!("{src}: {e:?}")))
        .collect();
    let index = RuleIndex::new(rules.iter().collect());
    let mut buf = Vec::new();
    let cases = [
        user(
            &[("email", s("x@b.example")), ("department", s("Sales"))],
            None,
        ),
        user(&[("email", s("x@B.EXAMPLE"))], None),
        user(&[("email", s("X@A.example"))], None),
        user(&[("email", s("x@d.example"))], None),
        user(&[("login", s("x@e.example"))], None),
        user(
            &[("email", s("x@e.example")), ("department", s("Ops"))],
            None,
        ),
        user(
            &[("email", s("x@z.example")), ("department", s("Ops"))],
            None,
        ),
        user(&[("email", V::N(4.0))], None),
        user(&[("email", V::Null)], None),
        user(&[], None),
        user(&[("email", s(""))], None),
        user(
            &[("email", s("é@g.example")), ("department", s("Sales"))],
            None,
        ),
        user(&[("email", s("@b.example"))], None),
    ];
    for u in &cases {
        assert_eq!(
            index.first_match(u, &mut buf),
            linear_first(&rules, u),
            "{u:?}"
        );
    }
    // Without the always-true empty-suffix rule, some users match nothing.
    let fewer: Vec<&Expr> = rules.iter().take(8).collect();
    let index = RuleIndex::new(fewer.clone());
    let nobody = user(&[("email", s("x@zzz.test"))], None);
    assert_eq!(index.first_match(&nobody, &mut buf), None);
    assert_eq!(index.len(), 8);
}

proptest! {
    #[test]
    fn the_rule_index_answers_as_the_linear_scan(
        picks in proptest::collection::vec(0usize..INDEXED_RULES.len(), 1..12),
        local in "[a-zA-Z]{0,3}",
        domain in prop_oneof![
            Just("@a.example"), Just("@A.EXAMPLE"), Just("@b.example"), Just("@c.example"),
            Just("@d.example"), Just("@e.example"), Just("@f.example"), Just("@g.example"), Just(""),
        ],
        department in prop_oneof![Just("Sales"), Just("Ops"), Just("")],
        has_login in any::<bool>(),
    ) {
        let rules: Vec<Expr> = picks
            .iter()
            .filter_map(|i| compile(INDEXED_RULES[*i]).ok())
            .collect();
        let index = RuleIndex::new(rules.iter().collect());
        let email = format!("{local}{domain}");
        let mut pairs = vec![("email", s(&email)), ("department", s(department))];
        if has_login {
            pairs.push(("login", s(&email)));
        }
        let u = user(&pairs, None);
        let mut buf = Vec::new();
        prop_assert_eq!(index.first_match(&u, &mut buf), linear_first(&rules, &u));
    }
}
