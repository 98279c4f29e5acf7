//! Lexer, parser and type checker: source text to [`Expr`].

use super::{
    Case, Expr, ExprError, ExprErrorKind, ExprWarning, Node, NodeId, TestOp, MAX_DEPTH, MAX_NODES,
    MAX_SOURCE_LEN,
};

use ExprErrorKind::{Limit, Syntax, Type, Unsupported};

const METHODS: &[&str] = &[
    "startsWith",
    "endsWith",
    "contains",
    "toLowerCase",
    "toUpperCase",
];
const FUNCTIONS: &[&str] = &[
    "startsWith",
    "endsWith",
    "stringContains",
    "toLowerCase",
    "toUpperCase",
];
/// Okta Expression Language names that this subset deliberately leaves out.
const OKTA_ONLY: &[&str] = &[
    "isMemberOf",
    "isMemberOfGroup",
    "isMemberOfGroupName",
    "isMemberOfGroupNameStartsWith",
    "isMemberOfGroupNameContains",
    "isMemberOfGroupNameRegex",
    "isMemberOfAnyGroup",
    "getGroups",
    "getOwners",
    "findGroupAndGetOwners",
    "getInternalProperty",
    "getLinkedObject",
    "len",
    "substring",
    "substringAfter",
    "substringBefore",
    "replace",
    "replaceFirst",
    "removeSpaces",
    "stringSwitch",
    "join",
    "append",
    "matches",
    "Arrays",
    "Convert",
    "Groups",
    "Time",
    "Iso3166Convert",
    "app",
    "appuser",
    "idpuser",
    "org",
    "session",
    "security",
    "device",
];

pub(super) fn compile(src: &str) -> Result<Expr, ExprError> {
    compile_as(src, true)
}

/// Compiles an expression whose value is used as it is (an attribute
/// mapping): any type is allowed at the root.
pub(super) fn compile_value(src: &str) -> Result<Expr, ExprError> {
    compile_as(src, false)
}

fn compile_as(src: &str, condition: bool) -> Result<Expr, ExprError> {
    if src.len() > MAX_SOURCE_LEN {
        let mut at = MAX_SOURCE_LEN;
        while !src.is_char_boundary(at) {
            at -= 1;
        }
        return Err(ExprError::new(
            Limit,
            at,
            format!(
                "expression is too long ({} bytes; at most {MAX_SOURCE_LEN} are allowed)",
                src.len()
            ),
        ));
    }
    let toks = lex(src)?;
    let mut p = Parser {
        src,
        toks,
        at: 0,
        depth: 0,
        nodes: Vec::new(),
        attrs: Vec::new(),
        uses_realm_id: false,
        warnings: Vec::new(),
    };
    let root = p.parse_or()?;
    if !matches!(p.tok().tok, Tok::Eof) {
        return Err(p.trailing());
    }
    if condition && !root.ty.can_be_condition() {
        return Err(ExprError::new(
            Type,
            root.start,
            format!(
                "the expression must be a condition (true or false), but it is {}",
                root.ty.name()
            ),
        )
        .hint("compare it with == or use a method such as .endsWith(\"…\")"));
    }
    Ok(Expr {
        nodes: p.nodes.into_boxed_slice(),
        root: root.id,
        attrs: p.attrs.into_boxed_slice(),
        uses_realm_id: p.uses_realm_id,
        warnings: p.warnings.into_boxed_slice(),
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'s> {
    Ident(&'s str),
    Str(String),
    Num(f64),
    Dot,
    Comma,
    LParen,
    RParen,
    EqEq,
    NotEq,
    AndAnd,
    OrOr,
    Bang,
    Eof,
}

#[derive(Debug, Clone, PartialEq)]
struct Token<'s> {
    tok: Tok<'s>,
    start: usize,
    end: usize,
}

static EOF: Token<'static> = Token {
    tok: Tok::Eof,
    start: 0,
    end: 0,
};

fn lex(src: &str) -> Result<Vec<Token<'_>>, ExprError> {
    let bytes = src.as_bytes();
    let at = |i: usize| bytes.get(i).copied().unwrap_or(0);
    let mut toks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = at(i);
        let two = at(i + 1);
        let tok = match b {
            b' ' | b'\t' | b'\r' | b'\n' => {
                i += 1;
                continue;
            }
            b'.' => Tok::Dot,
            b',' => Tok::Comma,
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'=' if two == b'=' => Tok::EqEq,
            b'!' if two == b'=' => Tok::NotEq,
            b'&' if two == b'&' => Tok::AndAnd,
            b'|' if two == b'|' => Tok::OrOr,
            b'!' => Tok::Bang,
            b'=' | b'&' | b'|' => {
                let op = match b {
                    b'=' => "==",
                    b'&' => "&&",
                    _ => "||",
                };
                return Err(
                    ExprError::new(Syntax, i, format!("unexpected '{}'", char::from(b)))
                        .hint(format!("did you mean '{op}'?")),
                );
            }
            b'"' | b'\'' => {
                let (s, end) = lex_string(src, i)?;
                toks.push(Token {
                    tok: Tok::Str(s),
                    start,
                    end,
                });
                i = end;
                continue;
            }
            b'0'..=b'9' => {
                i = lex_number(src, &mut toks, i)?;
                continue;
            }
            b'-' if two.is_ascii_digit() => {
                i = lex_number(src, &mut toks, i)?;
                continue;
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let len = bytes
                    .get(i..)
                    .unwrap_or_default()
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                i += len;
                toks.push(Token {
                    tok: Tok::Ident(src.get(start..i).unwrap_or_default()),
                    start,
                    end: i,
                });
                continue;
            }
            b'<' | b'>' | b'+' | b'-' | b'*' | b'/' | b'%' | b'?' | b':' | b'[' | b']' | b'^' => {
                let len = if matches!(b, b'<' | b'>') && two == b'=' {
                    2
                } else {
                    1
                };
                let op = src.get(i..i + len).unwrap_or_default();
                return Err(ExprError::new(
                    Unsupported,
                    i,
                    format!("operator '{op}' is not supported in realm assignment expressions"),
                )
                .hint("supported operators: ==, !=, &&, ||, !"));
            }
            _ => {
                let c = src.get(i..).and_then(|s| s.chars().next()).unwrap_or('?');
                let err = ExprError::new(Syntax, i, format!("unexpected character '{c}'"));
                return Err(if matches!(c, '“' | '”' | '‘' | '’' | '„' | '«' | '»') {
                    err.hint("use straight quotes \" or '")
                } else {
                    err
                });
            }
        };
        i += match tok {
            Tok::EqEq | Tok::NotEq | Tok::AndAnd | Tok::OrOr => 2,
            _ => 1,
        };
        toks.push(Token { tok, start, end: i });
    }
    toks.push(Token {
        tok: Tok::Eof,
        start: src.len(),
        end: src.len(),
    });
    Ok(toks)
}

/// Lexes the string literal opening at `start`; returns its value and end offset.
fn lex_string(src: &str, start: usize) -> Result<(String, usize), ExprError> {
    let rest = src.get(start..).unwrap_or_default();
    let mut chars = rest.char_indices();
    let quote = chars.next().map_or('"', |(_, c)| c);
    let mut out = String::new();
    while let Some((off, c)) = chars.next() {
        if c == quote {
            return Ok((out, start + off + c.len_utf8()));
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some((_, e @ ('"' | '\'' | '\\'))) => out.push(e),
            Some((_, e)) => {
                return Err(ExprError::new(
                    Syntax,
                    start + off,
                    format!("unknown escape sequence '\\{e}' in string"),
                )
                .hint("only \\\", \\' and \\\\ are allowed"))
            }
            None => break,
        }
    }
    Err(ExprError::new(Syntax, start, "unterminated string")
        .hint(format!("add the closing {quote}")))
}

fn lex_number<'s>(
    src: &'s str,
    toks: &mut Vec<Token<'s>>,
    start: usize,
) -> Result<usize, ExprError> {
    let bytes = src.as_bytes();
    let digits = |from: usize| {
        bytes
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let mut end = start + usize::from(bytes.get(start) == Some(&b'-'));
    end += digits(end);
    if bytes.get(end) == Some(&b'.') {
        let frac = digits(end + 1);
        if frac > 0 {
            end += 1 + frac;
        }
    }
    let text = src.get(start..end).unwrap_or_default();
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => {
            toks.push(Token {
                tok: Tok::Num(n),
                start,
                end,
            });
            Ok(end)
        }
        _ => Err(ExprError::new(Syntax, start, "number is out of range")),
    }
}

/// Static type of a subexpression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    /// A profile attribute: any type at run time.
    Any,
    Null,
    Bool,
    Num,
    Str,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Self::Any => "an attribute",
            Self::Null => "null",
            Self::Bool => "a condition",
            Self::Num => "a number",
            Self::Str => "a string",
        }
    }

    fn can_be_condition(self) -> bool {
        matches!(self, Self::Bool | Self::Any)
    }

    fn can_be_string(self) -> bool {
        matches!(self, Self::Str | Self::Any)
    }
}

#[derive(Debug, Clone, Copy)]
struct Item {
    id: NodeId,
    ty: Ty,
    start: usize,
}

#[derive(Debug, Clone, Copy)]
enum Method {
    Test(TestOp),
    Recase(Case),
}

impl Method {
    fn from_method(name: &str) -> Option<Self> {
        Some(match name {
            "startsWith" => Self::Test(TestOp::StartsWith),
            "endsWith" => Self::Test(TestOp::EndsWith),
            "contains" => Self::Test(TestOp::Contains),
            "toLowerCase" => Self::Recase(Case::Lower),
            "toUpperCase" => Self::Recase(Case::Upper),
            _ => return None,
        })
    }

    fn from_function(name: &str) -> Option<Self> {
        match name {
            "stringContains" => Some(Self::Test(TestOp::Contains)),
            "contains" => None,
            _ => Self::from_method(name),
        }
    }

    fn arity(self) -> usize {
        match self {
            Self::Test(_) => 1,
            Self::Recase(_) => 0,
        }
    }
}

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token<'s>>,
    at: usize,
    depth: usize,
    nodes: Vec<Node>,
    attrs: Vec<Box<str>>,
    uses_realm_id: bool,
    warnings: Vec<ExprWarning>,
}

impl<'s> Parser<'s> {
    fn tok(&self) -> &Token<'s> {
        self.toks.get(self.at).unwrap_or(&EOF)
    }

    fn ident(&self) -> Option<&'s str> {
        match self.tok().tok {
            Tok::Ident(s) => Some(s),
            _ => None,
        }
    }

    fn advance(&mut self) {
        if self.at + 1 < self.toks.len() {
            self.at += 1;
        }
    }

    fn text(&self, t: &Token<'_>) -> &'s str {
        self.src.get(t.start..t.end).unwrap_or_default()
    }

    fn describe(&self, t: &Token<'_>) -> String {
        let text = shorten(self.text(t));
        match t.tok {
            Tok::Eof => "the end of the expression".to_owned(),
            Tok::Str(_) => format!("the string {text}"),
            Tok::Num(_) => format!("the number {text}"),
            _ => format!("'{text}'"),
        }
    }

    /// "expected X after 'prev', found Y" at the current token.
    fn expected(&self, what: &str) -> ExprError {
        let t = self.tok();
        let found = self.describe(t);
        let message = match self.at.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(prev) => format!(
                "expected {what} after '{}', found {found}",
                shorten(self.text(prev))
            ),
            None => format!("expected {what}, found {found}"),
        };
        ExprError::new(Syntax, t.start, message)
    }

    fn trailing(&self) -> ExprError {
        let t = self.tok();
        let err = self.expected("'&&', '||' or the end of the expression");
        match t.tok {
            Tok::RParen => err.hint("this ')' has no matching '('"),
            Tok::Ident("and") => err.hint("did you mean '&&' or 'AND'?"),
            Tok::Ident("or") => err.hint("did you mean '||' or 'OR'?"),
            Tok::Str(_) | Tok::Num(_) | Tok::Ident(_) | Tok::LParen | Tok::Bang => {
                err.hint("is an operator missing?")
            }
            _ => err,
        }
    }

    fn enter(&mut self, pos: usize) -> Result<(), ExprError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprError::new(
                Limit,
                pos,
                format!("expression is nested too deeply (more than {MAX_DEPTH} levels)"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn push(&mut self, node: Node, ty: Ty, start: usize) -> Result<Item, ExprError> {
        let id = NodeId::try_from(self.nodes.len())
            .ok()
            .filter(|id| usize::from(*id) < MAX_NODES)
            .ok_or_else(|| {
                ExprError::new(
                    Limit,
                    start,
                    format!("expression is too large (more than {MAX_NODES} parts)"),
                )
            })?;
        self.nodes.push(node);
        Ok(Item { id, ty, start })
    }

    fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(usize::from(id))
    }

    fn parse_or(&mut self) -> Result<Item, ExprError> {
        self.parse_logic(true)
    }

    /// `or` when `is_or`, else `and`.
    fn parse_logic(&mut self, is_or: bool) -> Result<Item, ExprError> {
        let (symbol, word) = if is_or {
            ("'||'", "OR")
        } else {
            ("'&&'", "AND")
        };
        let at_op = |p: &Self| match &p.tok().tok {
            Tok::OrOr => is_or,
            Tok::AndAnd => !is_or,
            Tok::Ident(w) => *w == word,
            _ => false,
        };
        let sub = |p: &mut Self| {
            if is_or {
                p.parse_logic(false)
            } else {
                p.parse_comparison()
            }
        };
        let first = sub(self)?;
        if !at_op(self) {
            return Ok(first);
        }
        let mut items = vec![first];
        while at_op(self) {
            self.advance();
            items.push(sub(self)?);
        }
        for item in &items {
            require_condition(*item, symbol)?;
        }
        let ids = items.iter().map(|i| i.id).collect();
        let node = if is_or { Node::Or(ids) } else { Node::And(ids) };
        self.push(node, Ty::Bool, first.start)
    }

    fn parse_comparison(&mut self) -> Result<Item, ExprError> {
        let lhs = self.parse_unary()?;
        let negate = match self.tok().tok {
            Tok::EqEq => false,
            Tok::NotEq => true,
            _ => return Ok(lhs),
        };
        let op_pos = self.tok().start;
        self.advance();
        let rhs = self.parse_unary()?;
        if matches!(self.tok().tok, Tok::EqEq | Tok::NotEq) {
            return Err(
                ExprError::new(Syntax, self.tok().start, "comparisons cannot be chained")
                    .hint("add parentheses, e.g. (a == b) == c"),
            );
        }
        let known = |t: Ty| !matches!(t, Ty::Any | Ty::Null);
        if known(lhs.ty) && known(rhs.ty) && lhs.ty != rhs.ty {
            return Err(ExprError::new(
                Type,
                op_pos,
                format!("cannot compare {} with {}", lhs.ty.name(), rhs.ty.name()),
            )
            .hint("values of different types are never equal"));
        }
        let never = if negate {
            "always matches"
        } else {
            "can never match"
        };
        self.lint_case(lhs, rhs, never);
        self.lint_case(rhs, lhs, never);
        self.push(
            Node::Eq {
                lhs: lhs.id,
                rhs: rhs.id,
                negate,
            },
            Ty::Bool,
            lhs.start,
        )
    }

    fn parse_unary(&mut self) -> Result<Item, ExprError> {
        if self.tok().tok != Tok::Bang {
            return self.parse_postfix();
        }
        let start = self.tok().start;
        self.advance();
        self.enter(start)?;
        let operand = self.parse_unary()?;
        self.leave();
        require_condition(operand, "'!'")?;
        self.push(Node::Not(operand.id), Ty::Bool, start)
    }

    fn parse_postfix(&mut self) -> Result<Item, ExprError> {
        let mut item = self.parse_primary()?;
        while self.tok().tok == Tok::Dot {
            self.advance();
            let Some(name) = self.ident() else {
                return Err(self.expected("a method name"));
            };
            let name_pos = self.tok().start;
            self.advance();
            let method = Method::from_method(name).ok_or_else(|| unknown_method(name, name_pos))?;
            if self.tok().tok != Tok::LParen {
                return Err(self.expected("'('").hint(format!("call it as {name}(…)")));
            }
            let args = self.parse_args()?;
            item = self.apply(method, name, item, &args, name_pos)?;
        }
        Ok(item)
    }

    /// Parses `( [expr {, expr}] )`.
    fn parse_args(&mut self) -> Result<Vec<Item>, ExprError> {
        let open = self.tok().start;
        self.advance();
        self.enter(open)?;
        let mut args = Vec::new();
        if self.tok().tok == Tok::RParen {
            self.advance();
            self.leave();
            return Ok(args);
        }
        loop {
            args.push(self.parse_or()?);
            match self.tok().tok {
                Tok::Comma => self.advance(),
                Tok::RParen => {
                    self.advance();
                    break;
                }
                _ => {
                    return Err(self
                        .expected("',' or ')'")
                        .hint(format!("to close the '(' at position {open}")))
                }
            }
        }
        self.leave();
        Ok(args)
    }

    /// Builds a method call `recv.name(args)`.
    fn apply(
        &mut self,
        method: Method,
        name: &str,
        recv: Item,
        args: &[Item],
        pos: usize,
    ) -> Result<Item, ExprError> {
        if args.len() != method.arity() {
            return Err(ExprError::new(
                Syntax,
                pos,
                format!(
                    "'{name}' takes {}, found {}",
                    plural(method.arity()),
                    args.len()
                ),
            ));
        }
        if !recv.ty.can_be_string() {
            return Err(ExprError::new(
                Type,
                recv.start,
                format!("'{name}' needs a string, but this is {}", recv.ty.name()),
            ));
        }
        match method {
            Method::Recase(to) => {
                self.push(Node::Recase { to, recv: recv.id }, Ty::Str, recv.start)
            }
            Method::Test(op) => {
                let arg = args.first().copied().unwrap_or(recv);
                if !arg.ty.can_be_string() {
                    return Err(ExprError::new(
                        Type,
                        arg.start,
                        format!(
                            "the argument of '{name}' must be a string, but this is {}",
                            arg.ty.name()
                        ),
                    ));
                }
                self.lint_case(recv, arg, "can never match");
                self.push(
                    Node::Test {
                        op,
                        recv: recv.id,
                        arg: arg.id,
                    },
                    Ty::Bool,
                    recv.start,
                )
            }
        }
    }

    /// Warns when `cased` is case-mapped and `lit` is a literal it can never equal or hold.
    fn lint_case(&mut self, cased: Item, lit: Item, verdict: &str) {
        let Some(Node::Recase { to, .. }) = self.node(cased.id) else {
            return;
        };
        let to = *to;
        let Some(Node::Str(s)) = self.node(lit.id) else {
            return;
        };
        let (done, wrong) = match to {
            Case::Lower => ("lower-cased", "upper-case"),
            Case::Upper => ("upper-cased", "lower-case"),
            Case::AsIs => return,
        };
        let clash = match to {
            Case::Lower => s.bytes().any(|b| b.is_ascii_uppercase()),
            _ => s.bytes().any(|b| b.is_ascii_lowercase()),
        };
        if clash {
            let message = format!(
                "this {verdict}: the value is {done} but {} contains {wrong} letters",
                shorten(&format!(
                    "\"{}\"",
                    s.replace('\\', "\\\\").replace('"', "\\\"")
                ))
            );
            self.warnings.push(ExprWarning {
                message,
                position: lit.start,
            });
        }
    }

    fn parse_primary(&mut self) -> Result<Item, ExprError> {
        let start = self.tok().start;
        let (node, ty) = match &self.tok().tok {
            Tok::Str(s) => (Node::Str(s.clone().into_boxed_str()), Ty::Str),
            Tok::Num(n) => (Node::Num(*n), Ty::Num),
            Tok::Ident("true") => (Node::Bool(true), Ty::Bool),
            Tok::Ident("false") => (Node::Bool(false), Ty::Bool),
            Tok::Ident("null") => (Node::Null, Ty::Null),
            Tok::Ident("user") => return self.parse_user(),
            Tok::Ident("String") => return self.parse_function(),
            Tok::Ident(name) => return Err(self.unknown_name(name, start)),
            Tok::LParen => {
                self.advance();
                self.enter(start)?;
                let inner = self.parse_or()?;
                if self.tok().tok != Tok::RParen {
                    return Err(self
                        .expected("')'")
                        .hint(format!("to close the '(' at position {start}")));
                }
                self.advance();
                self.leave();
                return Ok(Item { start, ..inner });
            }
            Tok::RParen if self.at == 0 => {
                return Err(self
                    .expected("a value")
                    .hint("this ')' has no matching '('"))
            }
            _ => return Err(self.expected("a value")),
        };
        self.advance();
        self.push(node, ty, start)
    }

    fn parse_user(&mut self) -> Result<Item, ExprError> {
        let start = self.tok().start;
        self.advance();
        if self.tok().tok != Tok::Dot {
            return Err(self
                .expected("'.'")
                .hint("write user.profile.<attribute> or user.realmId"));
        }
        self.advance();
        let prop_pos = self.tok().start;
        match self.ident() {
            Some("realmId") => {
                self.advance();
                self.uses_realm_id = true;
                self.push(Node::RealmId, Ty::Str, start)
            }
            Some("profile") => {
                self.advance();
                if self.tok().tok != Tok::Dot {
                    return Err(self.expected("'.' and an attribute name"));
                }
                self.advance();
                let Some(attr) = self.ident() else {
                    return Err(self
                        .expected("an attribute name")
                        .hint("attribute names are letters, digits and '_'"));
                };
                self.advance();
                let index = self
                    .attrs
                    .iter()
                    .position(|a| **a == *attr)
                    .unwrap_or_else(|| {
                        self.attrs.push(attr.into());
                        self.attrs.len() - 1
                    });
                let index = u16::try_from(index).unwrap_or(u16::MAX);
                self.push(Node::Attr(index), Ty::Any, start)
            }
            Some(prop) if OKTA_ONLY.contains(&prop) => {
                Err(unsupported(&format!("user.{prop}"), prop_pos))
            }
            Some(prop) => {
                let hint = match suggest(prop, &["profile", "realmId"]) {
                    Some(s) => format!("did you mean user.{s}?"),
                    None => format!("did you mean user.profile.{prop}?"),
                };
                Err(
                    ExprError::new(Syntax, prop_pos, format!("unknown property 'user.{prop}'"))
                        .hint(hint),
                )
            }
            None => Err(self
                .expected("'profile' or 'realmId'")
                .hint("write user.profile.<attribute> or user.realmId")),
        }
    }

    fn parse_function(&mut self) -> Result<Item, ExprError> {
        self.advance();
        if self.tok().tok != Tok::Dot {
            return Err(self.expected("'.' and a function name"));
        }
        self.advance();
        let pos = self.tok().start;
        let Some(name) = self.ident() else {
            return Err(self.expected("a function name"));
        };
        self.advance();
        let Some(method) = Method::from_function(name) else {
            if OKTA_ONLY.contains(&name) {
                return Err(unsupported(&format!("String.{name}"), pos));
            }
            let err = ExprError::new(Syntax, pos, format!("unknown function 'String.{name}'"));
            return Err(match name {
                "contains" => err.hint("did you mean String.stringContains?"),
                _ => match suggest(name, FUNCTIONS) {
                    Some(s) => err.hint(format!("did you mean String.{s}?")),
                    None => err.hint(format!("supported: String.{}", FUNCTIONS.join(", String."))),
                },
            });
        };
        if self.tok().tok != Tok::LParen {
            return Err(self.expected("'('"));
        }
        let args = self.parse_args()?;
        let Some((recv, rest)) = args.split_first() else {
            return Err(ExprError::new(
                Syntax,
                pos,
                format!(
                    "'String.{name}' takes {}, found 0",
                    plural(method.arity() + 1)
                ),
            ));
        };
        if rest.len() != method.arity() {
            return Err(ExprError::new(
                Syntax,
                pos,
                format!(
                    "'String.{name}' takes {}, found {}",
                    plural(method.arity() + 1),
                    args.len()
                ),
            ));
        }
        self.apply(method, name, *recv, rest, pos)
    }

    fn unknown_name(&self, name: &str, pos: usize) -> ExprError {
        if matches!(name, "AND" | "OR") {
            return self.expected("a value");
        }
        if OKTA_ONLY.contains(&name) {
            return unsupported(name, pos);
        }
        let err = ExprError::new(Syntax, pos, format!("unknown name '{name}'"));
        match name {
            "and" => err.hint("did you mean '&&' or 'AND'?"),
            "or" => err.hint("did you mean '||' or 'OR'?"),
            "not" | "NOT" => err.hint("did you mean '!'?"),
            _ => match suggest(name, &["user", "true", "false", "null", "String"]) {
                Some(s) => err.hint(format!("did you mean {s}?")),
                None => err.hint(format!("did you mean user.profile.{name}?")),
            },
        }
    }
}

fn require_condition(item: Item, op: &str) -> Result<(), ExprError> {
    if item.ty.can_be_condition() {
        return Ok(());
    }
    Err(ExprError::new(
        Type,
        item.start,
        format!("{op} needs a condition, but this is {}", item.ty.name()),
    ))
}

fn unknown_method(name: &str, pos: usize) -> ExprError {
    if OKTA_ONLY.contains(&name) {
        return unsupported(name, pos);
    }
    let err = ExprError::new(Syntax, pos, format!("unknown method '{name}'"));
    let synonym = match name {
        "lower" | "toLower" | "lowercase" | "toLocaleLowerCase" => Some("toLowerCase"),
        "upper" | "toUpper" | "uppercase" | "toLocaleUpperCase" => Some("toUpperCase"),
        "includes" | "stringContains" => Some("contains"),
        "equals" | "equalsIgnoreCase" => {
            return err.hint("compare with ==, after toLowerCase() on both sides to ignore case")
        }
        _ => None,
    };
    match synonym.or_else(|| suggest(name, METHODS)) {
        Some(s) => err.hint(format!("did you mean {s}?")),
        None => err.hint(format!("supported methods: {}", METHODS.join(", "))),
    }
}

fn unsupported(what: &str, pos: usize) -> ExprError {
    ExprError::new(
        Unsupported,
        pos,
        format!("'{what}' is not supported in realm assignment expressions"),
    )
}

fn plural(n: usize) -> String {
    match n {
        0 => "no arguments".to_owned(),
        1 => "1 argument".to_owned(),
        n => format!("{n} arguments"),
    }
}

/// Cuts long source excerpts for messages.
fn shorten(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or_default()),
        None => s.to_owned(),
    }
}

/// The candidate closest to `name`, if close enough to be a likely typo.
fn suggest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    if let Some(c) = candidates.iter().find(|c| c.eq_ignore_ascii_case(name)) {
        return Some(c);
    }
    candidates
        .iter()
        .map(|c| (edit_distance(name, c), *c))
        .filter(|(d, _)| *d <= 2 && *d < name.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diag = i;
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let above = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let left = row.get(j).copied().unwrap_or(usize::MAX);
            let value = (diag + usize::from(ca != *cb))
                .min(above.saturating_add(1))
                .min(left.saturating_add(1));
            diag = above;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = value;
            }
        }
    }
    row.last().copied().unwrap_or(0)
}
