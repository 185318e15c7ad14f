//! `aws.filter` (AWS_FILTER): which API stages are traced, by their tags, in the expression
//! syntax of Axway's agents: `tag.Env == prod && (tag.Team.Exists() || tag.Any() == "public")`.
//!
//! Conditions: `tag.KEY == VALUE`, `tag.KEY != VALUE`, `tag.KEY.Exists()`,
//! `tag.KEY.MatchRegEx("re")`, `tag.Any() == VALUE`, `tag.Any() != VALUE`; a method call may be
//! followed by `== true` or `== false`. Combine with `&&`, `||`, `!` and parentheses (`&&` binds
//! tighter). VALUE is quoted ("..." or '...') or a bare word.

use regex::Regex;
use std::collections::BTreeMap;

/// A parsed filter; evaluate it with [`TagFilter::matches`].
#[derive(Debug, Clone)]
pub struct TagFilter {
    expr: Expr,
    source: String,
}

#[derive(Debug, Clone)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Equals { key: String, value: String },
    Exists(String),
    Matches { key: String, re: Regex },
    AnyEquals(String),
}

/// Why a filter does not parse: where, and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{text}' is not a tag filter: {message} at character {position}")]
pub struct FilterError {
    pub text: String,
    pub position: usize,
    pub message: String,
}

impl TagFilter {
    pub fn parse(text: &str) -> Result<TagFilter, FilterError> {
        let mut p = Parser { text, pos: 0 };
        let expr = p.or()?;
        p.skip_ws();
        if p.pos < text.len() {
            return Err(p.error("expected && or || or the end"));
        }
        Ok(TagFilter { expr, source: text.to_string() })
    }

    /// `aws.filter` as configured: `None` when empty (every stage is traced).
    pub fn from_config(text: &str) -> Result<Option<TagFilter>, FilterError> {
        Some(text.trim()).filter(|t| !t.is_empty()).map(TagFilter::parse).transpose()
    }

    /// True when `tags` satisfy the filter.
    pub fn matches(&self, tags: &BTreeMap<String, String>) -> bool {
        eval(&self.expr, tags)
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

fn eval(e: &Expr, tags: &BTreeMap<String, String>) -> bool {
    match e {
        Expr::Or(list) => list.iter().any(|e| eval(e, tags)),
        Expr::And(list) => list.iter().all(|e| eval(e, tags)),
        Expr::Not(e) => !eval(e, tags),
        Expr::Equals { key, value } => tags.get(key) == Some(value),
        Expr::Exists(key) => tags.contains_key(key),
        Expr::Matches { key, re } => tags.get(key).is_some_and(|v| re.is_match(v)),
        Expr::AnyEquals(value) => tags.values().any(|v| v == value),
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, message: &str) -> FilterError {
        FilterError { text: self.text.to_string(), position: self.pos + 1, message: message.to_string() }
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.text.len() - trimmed.len();
    }

    /// Consumes `token` (after white space) when it comes next.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, FilterError> {
        let mut list = vec![self.and()?];
        while self.eat("||") {
            list.push(self.and()?);
        }
        Ok(if list.len() == 1 { list.pop().expect("one") } else { Expr::Or(list) })
    }

    fn and(&mut self) -> Result<Expr, FilterError> {
        let mut list = vec![self.unary()?];
        while self.eat("&&") {
            list.push(self.unary()?);
        }
        Ok(if list.len() == 1 { list.pop().expect("one") } else { Expr::And(list) })
    }

    fn unary(&mut self) -> Result<Expr, FilterError> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected )"));
            }
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Expr, FilterError> {
        if !self.eat("tag.") {
            return Err(self.error("expected a condition such as tag.Env == prod"));
        }
        if self.eat("Any()") {
            let negate = self.comparison()?;
            let value = self.value()?;
            let e = Expr::AnyEquals(value);
            return Ok(if negate { Expr::Not(Box::new(e)) } else { e });
        }
        let key = self.word("a tag name", false)?;
        if self.eat(".Exists()") {
            return self.boolean_suffix(Expr::Exists(key));
        }
        if self.eat(".MatchRegEx(") {
            let at = self.pos;
            let pattern = self.value()?;
            let re = Regex::new(&pattern).map_err(|e| FilterError {
                text: self.text.to_string(),
                position: at + 1,
                message: format!("invalid regex: {e}"),
            })?;
            if !self.eat(")") {
                return Err(self.error("expected ) after the regex"));
            }
            return self.boolean_suffix(Expr::Matches { key, re });
        }
        let negate = self.comparison()?;
        let value = self.value()?;
        let e = Expr::Equals { key, value };
        Ok(if negate { Expr::Not(Box::new(e)) } else { e })
    }

    /// `==` (false) or `!=` (true).
    fn comparison(&mut self) -> Result<bool, FilterError> {
        if self.eat("==") {
            Ok(false)
        } else if self.eat("!=") {
            Ok(true)
        } else {
            Err(self.error("expected == or !="))
        }
    }

    /// An optional `== true` / `== false` / `!= ...` after a method call.
    fn boolean_suffix(&mut self, e: Expr) -> Result<Expr, FilterError> {
        self.skip_ws();
        if !(self.rest().starts_with("==") || self.rest().starts_with("!=")) {
            return Ok(e);
        }
        let negate = self.comparison()?;
        let wanted = match self.word("true or false", false)?.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(self.error("expected true or false")),
        };
        Ok(if wanted != negate { e } else { Expr::Not(Box::new(e)) })
    }

    fn value(&mut self) -> Result<String, FilterError> {
        self.skip_ws();
        match self.rest().chars().next() {
            Some(q @ ('"' | '\'')) => {
                let body = &self.rest()[1..];
                let end = body.find(q).ok_or_else(|| self.error("unterminated quoted value"))?;
                let value = body[..end].to_string();
                self.pos += end + 2;
                Ok(value)
            }
            _ => self.word("a value", true),
        }
    }

    /// A tag name (no dots: `.` starts a method) or, with `dots`, a bare value such as `v1.2`.
    fn word(&mut self, what: &str, dots: bool) -> Result<String, FilterError> {
        self.skip_ws();
        let allowed = |c: char| c.is_alphanumeric() || "-_:/@+".contains(c) || (dots && c == '.');
        let len = self.rest().find(|c: char| !allowed(c)).unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error(&format!("expected {what}")));
        }
        let word = self.rest()[..len].to_string();
        self.pos += len;
        Ok(word)
    }
}
