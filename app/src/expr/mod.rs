//! Realm-assignment expressions: a small, safe subset of Okta Expression Language.
//!
//! A realm assignment rule's condition (`conditions.expression.value` in Okta's API) is
//! compiled once with [`compile`] and then evaluated against many users with
//! [`Expr::evaluate`]. Compilation checks syntax, types and size; evaluation is pure,
//! cannot fail and does not allocate in the common cases.
//!
//! # Grammar (EBNF)
//!
//! ```text
//! expression = or ;
//! or         = and , { ( "||" | "OR" ) , and } ;
//! and        = comparison , { ( "&&" | "AND" ) , comparison } ;
//! comparison = unary , [ ( "==" | "!=" ) , unary ] ;        (* not chainable *)
//! unary      = "!" , unary | postfix ;
//! postfix    = primary , { "." , method , "(" , [ expression ] , ")" } ;
//! method     = "startsWith" | "endsWith" | "contains" | "toLowerCase" | "toUpperCase" ;
//! primary    = string | number | "true" | "false" | "null"
//!            | "user" , "." , "profile" , "." , identifier
//!            | "user" , "." , "realmId"
//!            | "String" , "." , function , "(" , expression , [ "," , expression ] , ")"
//!            | "(" , expression , ")" ;
//! function   = "startsWith" | "endsWith" | "stringContains" | "toLowerCase" | "toUpperCase" ;
//! identifier = ( letter | "_" ) , { letter | digit | "_" } ;   (* ASCII only *)
//! string     = '"' , { char - '"' | "\" , ( '"' | "'" | "\" ) } , '"'
//!            | "'" , { char - "'" | "\" , ( '"' | "'" | "\" ) } , "'" ;
//! number     = [ "-" ] , digit , { digit } , [ "." , digit , { digit } ] ;
//! ```
//!
//! Precedence, tightest first: method calls, `!`, `==`/`!=`, `&&`/`AND`, `||`/`OR`.
//! `AND` and `OR` are exact upper-case aliases of `&&` and `||`. `String.f(a, b)` is the
//! same as `a.f(b)` (`String.stringContains` is `contains`). Whitespace is space, tab,
//! carriage return or line feed. Limits: at most 4096 bytes of source, 32 levels of
//! nesting (each `(`, `!` and argument list opens one) and 256 nodes (each literal,
//! attribute, operator and call is one).
//!
//! # Semantics
//!
//! - Values are `null`, booleans, numbers (64-bit floats, so `42 == 42.0`; number literals
//!   exist for numeric custom attributes) and strings. A profile attribute that is absent,
//!   or present as null, is `null`; so is `user.realmId` for a user without one.
//! - `a == b` is true exactly when both sides have the same type and value: `null == null`
//!   is true, `null == "x"` is false, `3 == "3"` is false (no conversions). Strings compare
//!   byte for byte, so comparisons are case-sensitive; `""` is an ordinary string.
//!   `a != b` is always the opposite of `a == b`.
//! - Only `true` counts as true. Operands of `!`, `&&`, `||` and the whole rule treat
//!   anything else (false, null, a missing attribute, a string, a number) as false, so the
//!   logic is two-valued and De Morgan's laws hold. `&&` and `||` stop at the first
//!   operand that decides the result.
//! - `s.startsWith(t)`, `s.endsWith(t)`, `s.contains(t)` are false unless both `s` and
//!   `t` are strings; every string starts with, ends with and contains `""`.
//! - `s.toLowerCase()` / `s.toUpperCase()` use Unicode default case mapping (as Java and
//!   Rust do, without locale rules) and give `null` unless `s` is a string.
//! - Statically wrong rules are rejected at compile time: a rule that is a string, number
//!   or `null` rather than a condition, `!`/`&&`/`||` on strings, string methods on
//!   booleans or numbers, and `==` between values of two different known types (which
//!   would always be false). A profile attribute's type is not known statically, so
//!   `user.profile.isPartner` is a valid rule that matches when the attribute is `true`.
//! - [`Expr::warnings`] flags comparisons that can never succeed, such as
//!   `user.profile.email.toLowerCase().endsWith("@Acme.com")`.

mod index;
mod parse;

pub use index::RuleIndex;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Longest accepted source, in bytes.
pub const MAX_SOURCE_LEN: usize = 4096;
/// Deepest accepted nesting of parentheses, `!` and argument lists.
pub const MAX_DEPTH: usize = 32;
/// Largest accepted number of nodes (literals, attributes, operators, calls).
pub const MAX_NODES: usize = 256;

/// Compiles a rule's source text.
///
/// # Errors
///
/// An [`ExprError`] locating the first syntax, type, unsupported-feature or size problem.
pub fn compile(src: &str) -> Result<Expr, ExprError> {
    parse::compile(src)
}

/// Compiles an attribute mapping's expression (`user.profile.email`,
/// `user.profile.login.toLowerCase()`, `"Partner"`): the same language as
/// rules, with any value at the root rather than a condition.
///
/// # Errors
///
/// As [`compile`], without the "must be a condition" check.
pub fn compile_value(src: &str) -> Result<Expr, ExprError> {
    parse::compile_value(src)
}

/// A profile value as seen by the evaluator; borrowed from the caller's user record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
    Null,
    Bool(bool),
    Number(f64),
    Str(&'a str),
}

/// Read access to the user a rule is evaluated against.
///
/// Implement it over whatever the caller already holds (a row, a
/// `HashMap<String, serde_json::Value>`, …) so evaluation can borrow instead of copy:
///
/// ```ignore
/// impl UserView for User {
///     fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
///         Some(match self.profile.get(attr)? {
///             Value::String(s) => ValueRef::Str(s),
///             Value::Bool(b) => ValueRef::Bool(*b),
///             Value::Number(n) => ValueRef::Number(n.as_f64()?),
///             _ => ValueRef::Null, // null, arrays and objects
///         })
///     }
///     fn realm_id(&self) -> Option<&str> { self.realm_id.as_deref() }
/// }
/// ```
pub trait UserView {
    /// The value of `user.profile.<attr>`; `None` when absent.
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>>;
    /// The value of `user.realmId`.
    fn realm_id(&self) -> Option<&str>;
}

impl<T: UserView + ?Sized> UserView for &T {
    fn profile(&self, attr: &str) -> Option<ValueRef<'_>> {
        (**self).profile(attr)
    }
    fn realm_id(&self) -> Option<&str> {
        (**self).realm_id()
    }
}

/// What kind of problem an [`ExprError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExprErrorKind {
    /// Malformed text: bad token, missing operand, unbalanced parenthesis, …
    Syntax,
    /// Well-formed but meaningless: a string where a condition is needed, …
    Type,
    /// Something Okta has that this subset does not: other functions, `>`, `?:`, …
    Unsupported,
    /// Too long, too deep or too many nodes.
    Limit,
}

/// Why a rule did not compile. `position` is a byte offset into the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at position {position}{}", hint_suffix(.hint.as_deref()))]
pub struct ExprError {
    pub kind: ExprErrorKind,
    pub message: String,
    pub position: usize,
    /// A suggestion such as "did you mean endsWith?".
    pub hint: Option<String>,
}

fn hint_suffix(hint: Option<&str>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}

impl ExprError {
    fn new(kind: ExprErrorKind, position: usize, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            position,
            hint: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `position` counted in characters rather than bytes, for editors.
    #[must_use]
    pub fn char_position(&self, src: &str) -> usize {
        src.char_indices()
            .take_while(|(i, _)| *i < self.position)
            .count()
    }
}

/// A rule that compiles but can never be true as intended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprWarning {
    pub message: String,
    pub position: usize,
}

impl fmt::Display for ExprWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at position {}", self.message, self.position)
    }
}

/// A compiled rule. `Display` gives the normalized source: `&&`/`||`, double quotes,
/// method-call form, single spaces and only the parentheses that are needed.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    nodes: Box<[Node]>,
    root: NodeId,
    attrs: Box<[Box<str>]>,
    uses_realm_id: bool,
    warnings: Box<[ExprWarning]>,
}

type NodeId = u16;

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Num(f64),
    Str(Box<str>),
    /// `user.profile.<attrs[i]>`
    Attr(u16),
    RealmId,
    Not(NodeId),
    And(Box<[NodeId]>),
    Or(Box<[NodeId]>),
    Eq {
        lhs: NodeId,
        rhs: NodeId,
        negate: bool,
    },
    Test {
        op: TestOp,
        recv: NodeId,
        arg: NodeId,
    },
    Recase {
        to: Case,
        recv: NodeId,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TestOp {
    StartsWith,
    EndsWith,
    Contains,
}

impl TestOp {
    fn method(self) -> &'static str {
        match self {
            Self::StartsWith => "startsWith",
            Self::EndsWith => "endsWith",
            Self::Contains => "contains",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    AsIs,
    Lower,
    Upper,
}

impl Case {
    fn method(self) -> &'static str {
        match self {
            Self::AsIs => "",
            Self::Lower => "toLowerCase",
            Self::Upper => "toUpperCase",
        }
    }

    #[inline]
    fn map(self, b: u8) -> u8 {
        match self {
            Self::AsIs => b,
            Self::Lower => b.to_ascii_lowercase(),
            Self::Upper => b.to_ascii_uppercase(),
        }
    }
}

impl FromStr for Expr {
    type Err = ExprError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        compile(s)
    }
}

impl Expr {
    /// Whether the rule matches `user`: only a `true` result does.
    #[must_use]
    pub fn evaluate<U: UserView + ?Sized>(&self, user: &U) -> bool {
        self.truth(self.root, user)
    }

    /// The expression's value for `user`, as JSON (an attribute mapping's
    /// output): strings, numbers, booleans, or null.
    #[must_use]
    pub fn value_json<U: UserView + ?Sized>(&self, user: &U) -> serde_json::Value {
        match self.value(self.root, user) {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(b),
            Value::Num(n) => serde_json::Number::from_f64(n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(t) => serde_json::Value::String(t.into_string()),
        }
    }

    /// The distinct `user.profile.*` attributes the rule reads, in order of first use.
    pub fn referenced_attributes(&self) -> impl Iterator<Item = &str> + '_ {
        self.attrs.iter().map(|a| &**a)
    }

    /// Whether the rule reads `user.realmId`.
    #[must_use]
    pub fn references_realm_id(&self) -> bool {
        self.uses_realm_id
    }

    /// Parts of the rule that can never match; worth showing to the admin.
    pub fn warnings(&self) -> &[ExprWarning] {
        &self.warnings
    }

    fn node(&self, id: NodeId) -> &Node {
        self.nodes.get(usize::from(id)).unwrap_or(&Node::Null)
    }

    fn attr_name(&self, i: u16) -> &str {
        self.attrs.get(usize::from(i)).map_or("", |a| a)
    }

    fn truth<U: UserView + ?Sized>(&self, id: NodeId, user: &U) -> bool {
        match self.node(id) {
            Node::Bool(b) => *b,
            Node::Attr(i) => matches!(user.profile(self.attr_name(*i)), Some(ValueRef::Bool(true))),
            Node::Not(a) => !self.truth(*a, user),
            Node::And(xs) => xs.iter().all(|x| self.truth(*x, user)),
            Node::Or(xs) => xs.iter().any(|x| self.truth(*x, user)),
            Node::Eq { lhs, rhs, negate } => {
                let equal = match (self.node(*lhs), self.node(*rhs)) {
                    (Node::Str(lit), _) => self.text(*rhs, user).is_some_and(|t| t.equals_str(lit)),
                    (_, Node::Str(lit)) => self.text(*lhs, user).is_some_and(|t| t.equals_str(lit)),
                    _ => self.value(*lhs, user).equals(&self.value(*rhs, user)),
                };
                equal != *negate
            }
            Node::Test { op, recv, arg } => {
                let (Some(s), Some(t)) = (self.text(*recv, user), self.text(*arg, user)) else {
                    return false;
                };
                match op {
                    TestOp::StartsWith => s.starts_with(&t),
                    TestOp::EndsWith => s.ends_with(&t),
                    TestOp::Contains => s.contains(&t),
                }
            }
            Node::Null | Node::Num(_) | Node::Str(_) | Node::RealmId | Node::Recase { .. } => false,
        }
    }

    fn value<'a, U: UserView + ?Sized>(&'a self, id: NodeId, user: &'a U) -> Value<'a> {
        match self.node(id) {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Num(n) => Value::Num(*n),
            Node::Attr(i) => match user.profile(self.attr_name(*i)) {
                None | Some(ValueRef::Null) => Value::Null,
                Some(ValueRef::Bool(b)) => Value::Bool(b),
                Some(ValueRef::Number(n)) => Value::Num(n),
                Some(ValueRef::Str(s)) => Value::Text(Text::plain(s)),
            },
            Node::Str(_) | Node::RealmId | Node::Recase { .. } => {
                self.text(id, user).map_or(Value::Null, Value::Text)
            }
            Node::Not(_) | Node::And(_) | Node::Or(_) | Node::Eq { .. } | Node::Test { .. } => {
                Value::Bool(self.truth(id, user))
            }
        }
    }

    /// The node's value if it is a string.
    fn text<'a, U: UserView + ?Sized>(&'a self, id: NodeId, user: &'a U) -> Option<Text<'a>> {
        let (mut base, mut outer) = (id, None);
        while let Node::Recase { to, recv } = self.node(base) {
            outer = outer.or(Some(*to));
            base = *recv;
        }
        let s = match self.node(base) {
            Node::Str(s) => s,
            Node::Attr(i) => match user.profile(self.attr_name(*i)) {
                Some(ValueRef::Str(s)) => s,
                _ => return None,
            },
            Node::RealmId => user.realm_id()?,
            _ => return None,
        };
        Some(match outer {
            None => Text::plain(s),
            // On ASCII only the outermost case mapping matters.
            Some(case) if s.is_ascii() => Text {
                s: Cow::Borrowed(s),
                case,
            },
            Some(_) => Text {
                s: Cow::Owned(self.recase_unicode(id, s)),
                case: Case::AsIs,
            },
        })
    }

    /// Applies the whole chain of case mappings ending at `id` to `base`.
    fn recase_unicode(&self, id: NodeId, base: &str) -> String {
        match self.node(id) {
            Node::Recase {
                to: Case::Lower,
                recv,
            } => self.recase_unicode(*recv, base).to_lowercase(),
            Node::Recase {
                to: Case::Upper,
                recv,
            } => self.recase_unicode(*recv, base).to_uppercase(),
            _ => base.to_owned(),
        }
    }
}

enum Value<'a> {
    Null,
    Bool(bool),
    Num(f64),
    Text(Text<'a>),
}

impl Value<'_> {
    fn equals(&self, other: &Value<'_>) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Num(a), Value::Num(b)) => a == b,
            (Value::Text(a), Value::Text(b)) => a.equals(b),
            _ => false,
        }
    }
}

/// A string with a pending ASCII case mapping. Invariant: `case` is `AsIs` unless `s` is
/// ASCII, so byte-wise mapping gives exactly the Unicode result without allocating.
struct Text<'a> {
    s: Cow<'a, str>,
    case: Case,
}

/// Case-mapped strings up to this length are searched from a stack buffer.
const STACK_TEXT: usize = 256;
/// Searches costing at most this many byte comparisons use a plain scan.
const NAIVE_SEARCH: usize = 1024;

impl<'a> Text<'a> {
    fn plain(s: &'a str) -> Self {
        Self {
            s: Cow::Borrowed(s),
            case: Case::AsIs,
        }
    }

    fn bytes(&self) -> &[u8] {
        self.s.as_bytes()
    }

    /// The string with its pending (ASCII) case mapping applied.
    fn into_string(self) -> String {
        match self.case {
            Case::AsIs => self.s.into_owned(),
            Case::Lower => self.s.to_ascii_lowercase(),
            Case::Upper => self.s.to_ascii_uppercase(),
        }
    }

    fn equals(&self, t: &Text<'_>) -> bool {
        same_bytes(self.bytes(), self.case, t.bytes(), t.case)
    }

    fn equals_str(&self, t: &str) -> bool {
        same_bytes(self.bytes(), self.case, t.as_bytes(), Case::AsIs)
    }

    fn starts_with(&self, t: &Text<'_>) -> bool {
        self.bytes()
            .get(..t.bytes().len())
            .is_some_and(|head| same_bytes(head, self.case, t.bytes(), t.case))
    }

    fn ends_with(&self, t: &Text<'_>) -> bool {
        self.bytes()
            .len()
            .checked_sub(t.bytes().len())
            .and_then(|start| self.bytes().get(start..))
            .is_some_and(|tail| same_bytes(tail, self.case, t.bytes(), t.case))
    }

    fn contains(&self, t: &Text<'_>) -> bool {
        let (hay, needle) = (self.bytes(), t.bytes());
        if hay.len().saturating_mul(needle.len()) > NAIVE_SEARCH {
            return self.with_mapped(|hay| t.with_mapped(|needle| hay.contains(needle)));
        }
        let same = |x: u8| x;
        match (self.case, t.case) {
            (Case::AsIs, Case::AsIs) => mapped_find(hay, needle, same, same),
            (Case::Lower, Case::AsIs) => mapped_find(hay, needle, |x| x.to_ascii_lowercase(), same),
            (Case::Upper, Case::AsIs) => mapped_find(hay, needle, |x| x.to_ascii_uppercase(), same),
            (ch, cn) => mapped_find(hay, needle, |x| ch.map(x), |y| cn.map(y)),
        }
    }

    /// Runs `f` on the case-mapped string, from the stack when it is short.
    fn with_mapped<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        if self.case == Case::AsIs {
            return f(&self.s);
        }
        let mut buf = [0u8; STACK_TEXT];
        if let Some(dst) = buf.get_mut(..self.s.len()) {
            for (d, b) in dst.iter_mut().zip(self.bytes()) {
                *d = self.case.map(*b);
            }
            if let Ok(s) = std::str::from_utf8(dst) {
                return f(s);
            }
        }
        let mapped = match self.case {
            Case::Upper => self.s.to_ascii_uppercase(),
            Case::Lower | Case::AsIs => self.s.to_ascii_lowercase(),
        };
        f(&mapped)
    }
}

/// Whether `a` mapped by `ca` equals `b` mapped by `cb`.
fn same_bytes(a: &[u8], ca: Case, b: &[u8], cb: Case) -> bool {
    let same = |x: u8| x;
    match (ca, cb) {
        (Case::AsIs, Case::AsIs) => a == b,
        (Case::Lower, Case::AsIs) => mapped_eq(a, b, |x| x.to_ascii_lowercase(), same),
        (Case::AsIs, Case::Lower) => mapped_eq(a, b, same, |y| y.to_ascii_lowercase()),
        (Case::Upper, Case::AsIs) => mapped_eq(a, b, |x| x.to_ascii_uppercase(), same),
        (Case::AsIs, Case::Upper) => mapped_eq(a, b, same, |y| y.to_ascii_uppercase()),
        _ => mapped_eq(a, b, |x| ca.map(x), |y| cb.map(y)),
    }
}

/// Plain substring scan over mapped bytes. Byte offsets are safe: a UTF-8 needle cannot
/// match starting inside a character.
fn mapped_find(hay: &[u8], needle: &[u8], f: impl Fn(u8) -> u8, g: impl Fn(u8) -> u8) -> bool {
    let Some((first, rest)) = needle.split_first() else {
        return true;
    };
    let first = g(*first);
    hay.windows(needle.len()).any(|w| {
        w.split_first().is_some_and(|(h, tail)| {
            f(*h) == first && tail.iter().zip(rest).all(|(x, y)| f(*x) == g(*y))
        })
    })
}

/// A branch-free fold, so the usual short comparisons vectorize.
#[inline]
fn mapped_eq(a: &[u8], b: &[u8], f: impl Fn(u8) -> u8, g: impl Fn(u8) -> u8) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (f(*x) ^ g(*y))) == 0
}

/// Binding strength used to decide where `Display` needs parentheses.
fn precedence(node: &Node) -> u8 {
    match node {
        Node::Or(_) => 1,
        Node::And(_) => 2,
        Node::Eq { .. } => 3,
        Node::Not(_) => 4,
        Node::Test { .. } | Node::Recase { .. } => 5,
        Node::Null
        | Node::Bool(_)
        | Node::Num(_)
        | Node::Str(_)
        | Node::Attr(_)
        | Node::RealmId => 6,
    }
}

impl Expr {
    fn write(&self, f: &mut fmt::Formatter<'_>, id: NodeId, min: u8) -> fmt::Result {
        let node = self.node(id);
        let paren = precedence(node) < min;
        if paren {
            f.write_str("(")?;
        }
        match node {
            Node::Null => f.write_str("null")?,
            Node::Bool(b) => write!(f, "{b}")?,
            Node::Num(n) => write!(f, "{n}")?,
            Node::Str(s) => write_string(f, s)?,
            Node::Attr(i) => write!(f, "user.profile.{}", self.attr_name(*i))?,
            Node::RealmId => f.write_str("user.realmId")?,
            Node::Not(a) => {
                f.write_str("!")?;
                self.write(f, *a, 4)?;
            }
            Node::And(xs) | Node::Or(xs) => {
                let (sep, child_min) = match node {
                    Node::And(_) => (" && ", 3),
                    _ => (" || ", 2),
                };
                for (i, x) in xs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(sep)?;
                    }
                    self.write(f, *x, child_min)?;
                }
            }
            Node::Eq { lhs, rhs, negate } => {
                self.write(f, *lhs, 4)?;
                f.write_str(if *negate { " != " } else { " == " })?;
                self.write(f, *rhs, 4)?;
            }
            Node::Test { op, recv, arg } => {
                self.write(f, *recv, 5)?;
                write!(f, ".{}(", op.method())?;
                self.write(f, *arg, 0)?;
                f.write_str(")")?;
            }
            Node::Recase { to, recv } => {
                self.write(f, *recv, 5)?;
                write!(f, ".{}()", to.method())?;
            }
        }
        if paren {
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn write_string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    for c in s.chars() {
        if matches!(c, '"' | '\\') {
            f.write_str("\\")?;
        }
        write!(f, "{c}")?;
    }
    f.write_str("\"")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, self.root, 0)
    }
}
