//! Okta's filter and search expressions (`filter=`, `search=`): comparisons
//! `attribute op "value"` (`eq`, `ne`, `co`, `sw`, `gt`, `ge`, `lt`, `le`,
//! and `attribute pr`), joined by `and` / `or` (`and` binds tighter), with
//! parentheses. Parsed into disjunctive normal form: a list of alternatives,
//! each a list of comparisons that must all hold. Each endpoint then maps the
//! attributes it supports and refuses the rest with a 400 naming them.

use super::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Gt,
    Ge,
    Lt,
    Le,
    Pr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub attribute: String,
    pub op: Op,
    /// `None` for `pr`.
    pub value: Option<String>,
}

/// Alternatives (`or`), each a conjunction (`and`) of comparisons.
pub type Dnf = Vec<Vec<Comparison>>;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
}

fn tokens(input: &str, param: &str) -> Result<Vec<Token>, ApiError> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                out.push(Token::Open);
            }
            ')' => {
                chars.next();
                out.push(Token::Close);
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(next) = chars.next() {
                                text.push(next);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => text.push(c),
                    }
                }
                if !closed {
                    return Err(ApiError::invalid(param, "A quoted value is not closed."));
                }
                out.push(Token::Text(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '(' || c == ')' || c == '"' {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    param: &'a str,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn fail(&self, message: &str) -> ApiError {
        ApiError::invalid(self.param, format!("Invalid {}: {message}", self.param))
    }

    fn or(&mut self, depth: usize) -> Result<Dnf, ApiError> {
        let mut alternatives = self.and(depth)?;
        while self.peek_word("or") {
            self.at += 1;
            alternatives.extend(self.and(depth)?);
        }
        Ok(alternatives)
    }

    fn and(&mut self, depth: usize) -> Result<Dnf, ApiError> {
        let mut result = self.primary(depth)?;
        while self.peek_word("and") {
            self.at += 1;
            let right = self.primary(depth)?;
            let mut product = Vec::new();
            for l in &result {
                for r in &right {
                    product.push(l.iter().chain(r).cloned().collect());
                }
            }
            if product.len() > 64 {
                return Err(self.fail("the expression is too complex."));
            }
            result = product;
        }
        Ok(result)
    }

    fn primary(&mut self, depth: usize) -> Result<Dnf, ApiError> {
        if depth > 8 {
            return Err(self.fail("too many parentheses."));
        }
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or(depth + 1)?;
                if self.tokens.get(self.at) != Some(&Token::Close) {
                    return Err(self.fail("a parenthesis is not closed."));
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Word(attribute)) => {
                self.at += 1;
                let op = match self.tokens.get(self.at) {
                    Some(Token::Word(op)) => match op.to_ascii_lowercase().as_str() {
                        "eq" => Op::Eq,
                        "ne" => Op::Ne,
                        "co" => Op::Co,
                        "sw" => Op::Sw,
                        "gt" => Op::Gt,
                        "ge" => Op::Ge,
                        "lt" => Op::Lt,
                        "le" => Op::Le,
                        "pr" => Op::Pr,
                        other => return Err(self.fail(&format!("unknown operator '{other}'."))),
                    },
                    _ => return Err(self.fail(&format!("an operator must follow {attribute}."))),
                };
                self.at += 1;
                let value = if op == Op::Pr {
                    None
                } else {
                    match self.tokens.get(self.at).cloned() {
                        Some(Token::Text(v)) => {
                            self.at += 1;
                            Some(v)
                        }
                        // Okta accepts bare words for booleans and numbers.
                        Some(Token::Word(v))
                            if !v.eq_ignore_ascii_case("and") && !v.eq_ignore_ascii_case("or") =>
                        {
                            self.at += 1;
                            Some(v)
                        }
                        _ => return Err(self.fail(&format!("a value must follow {attribute}."))),
                    }
                };
                Ok(vec![vec![Comparison {
                    attribute,
                    op,
                    value,
                }]])
            }
            _ => Err(self.fail("a comparison is expected.")),
        }
    }
}

/// Parses the expression given as query parameter `param`.
pub fn parse(input: &str, param: &str) -> Result<Dnf, ApiError> {
    if input.len() > 2048 {
        return Err(ApiError::invalid(
            param,
            format!("Invalid {param}: too long."),
        ));
    }
    let mut parser = Parser {
        tokens: tokens(input, param)?,
        at: 0,
        param,
    };
    let dnf = parser.or(0)?;
    if parser.at != parser.tokens.len() {
        return Err(parser.fail("unexpected text after the expression."));
    }
    Ok(dnf)
}

#[cfg(test)]
#[path = "tests/filter.rs"]
mod tests;
