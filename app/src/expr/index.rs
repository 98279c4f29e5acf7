//! First-match over many rules without testing each rule on each user.
//!
//! Most realm-assignment rules name a domain: `user.profile.email.endsWith(
//! "@acme.example")`, maybe `&&` something else, or several such tests `||`ed.
//! Such a test is a *necessary condition* of the rule: a user whose email does
//! not end so cannot match. [`RuleIndex`] keys those rules by (attribute,
//! suffix); for a user it looks up the user's own suffixes (one lookup per
//! distinct suffix length) and evaluates only the rules found there plus the
//! rules it could not index, in priority order. The answer is exactly the
//! linear scan's — the index only skips rules that cannot match.

use std::collections::HashMap;

use super::{Expr, Node, NodeId, TestOp, UserView, ValueRef};

/// One attribute's indexed rules: suffix → rules (ascending), and the
/// distinct suffix lengths to look up.
#[derive(Debug)]
struct BySuffix {
    attr: Box<str>,
    rules: HashMap<Box<[u8]>, Vec<usize>>,
    lengths: Vec<usize>,
}

/// Rules in priority order, indexed by the suffix tests they require.
#[derive(Debug)]
pub struct RuleIndex<'a> {
    rules: Vec<&'a Expr>,
    by_attr: Vec<BySuffix>,
    /// Rules with no indexable necessary condition: always evaluated.
    unindexed: Vec<usize>,
}

impl Expr {
    /// The (attribute, suffixes) this rule cannot match without: its root is a
    /// case-sensitive `user.profile.<a>.endsWith("<s>")` (a recased receiver
    /// such as `.toLowerCase()` is not indexed), a conjunction with one, or a
    /// disjunction of such tests on one attribute.
    fn required_suffixes(&self, id: NodeId) -> Option<(&str, Vec<&str>)> {
        match self.node(id) {
            Node::Test {
                op: TestOp::EndsWith,
                recv,
                arg,
            } => match (self.node(*recv), self.node(*arg)) {
                (Node::Attr(i), Node::Str(s)) => Some((self.attr_name(*i), vec![&**s])),
                _ => None,
            },
            Node::And(xs) => xs.iter().find_map(|x| self.required_suffixes(*x)),
            Node::Or(xs) => {
                let mut attr: Option<&str> = None;
                let mut all = Vec::new();
                for x in xs.iter() {
                    let (a, s) = self.required_suffixes(*x)?;
                    if attr.is_some_and(|prev| prev != a) {
                        return None;
                    }
                    attr = Some(a);
                    all.extend(s);
                }
                attr.map(|a| (a, all))
            }
            _ => None,
        }
    }
}

impl<'a> RuleIndex<'a> {
    /// Indexes `rules`, given in priority order.
    pub fn new(rules: Vec<&'a Expr>) -> Self {
        let mut by_attr: Vec<BySuffix> = Vec::new();
        let mut unindexed = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            match rule.required_suffixes(rule.root) {
                Some((attr, suffixes)) => {
                    let pos = match by_attr.iter().position(|b| &*b.attr == attr) {
                        Some(p) => p,
                        None => {
                            by_attr.push(BySuffix {
                                attr: attr.into(),
                                rules: HashMap::new(),
                                lengths: Vec::new(),
                            });
                            by_attr.len() - 1
                        }
                    };
                    let Some(entry) = by_attr.get_mut(pos) else {
                        continue;
                    };
                    for s in suffixes {
                        let ids = entry.rules.entry(s.as_bytes().into()).or_default();
                        if ids.last() != Some(&i) {
                            ids.push(i);
                        }
                        if !entry.lengths.contains(&s.len()) {
                            entry.lengths.push(s.len());
                        }
                    }
                }
                None => unindexed.push(i),
            }
        }
        Self {
            rules,
            by_attr,
            unindexed,
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The position of the first rule that matches `user`, if any; `buf` is
    /// scratch space reused between users.
    pub fn first_match<U: UserView + ?Sized>(
        &self,
        user: &U,
        buf: &mut Vec<usize>,
    ) -> Option<usize> {
        buf.clear();
        buf.extend_from_slice(&self.unindexed);
        for BySuffix {
            attr,
            rules: map,
            lengths,
        } in &self.by_attr
        {
            let Some(ValueRef::Str(value)) = user.profile(attr) else {
                continue;
            };
            let bytes = value.as_bytes();
            for len in lengths {
                if let Some(ids) = bytes
                    .len()
                    .checked_sub(*len)
                    .and_then(|start| bytes.get(start..))
                    .and_then(|tail| map.get(tail))
                {
                    buf.extend_from_slice(ids);
                }
            }
        }
        buf.sort_unstable();
        buf.dedup();
        buf.iter()
            .copied()
            .find(|i| self.rules.get(*i).is_some_and(|r| r.evaluate(user)))
    }
}
