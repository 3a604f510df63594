//! The GraphQL text fakehub reads: tokens, then fields with their
//! arguments (variables substituted) and selections, nested at most
//! `MAX_DEPTH` deep, so a query costs what its text does.

use serde_json::{json, Map, Value};

/// Selection sets nested deeper than this are refused.
pub(super) const MAX_DEPTH: usize = 16;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Name(String),
    Str(String),
    Int(i64),
    Punct(char),
    Spread,
}

pub(super) fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() || c == ',' => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '{' | '}' | '(' | ')' | ':' | '!' | '$' | '[' | ']' | '=' | '@' => {
                out.push(Token::Punct(c));
                i += 1;
            }
            '.' if chars.get(i + 1) == Some(&'.') && chars.get(i + 2) == Some(&'.') => {
                out.push(Token::Spread);
                i += 3;
            }
            '"' => {
                let mut text = String::new();
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                        text.push(match chars[i] {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    } else {
                        text.push(chars[i]);
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("a string is not closed".into());
                }
                i += 1;
                out.push(Token::Str(text));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let number: String = chars[start..i].iter().collect();
                out.push(Token::Int(
                    number
                        .parse()
                        .map_err(|_| format!("`{number}` is not an integer"))?,
                ));
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                out.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => return Err(format!("unexpected character `{other}`")),
        }
    }
    Ok(out)
}

#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) alias: Option<String>,
    pub(super) name: String,
    pub(super) args: Map<String, Value>,
    pub(super) selection: Vec<Field>,
}

impl Field {
    pub(super) fn key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }

    pub(super) fn arg(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }
}

pub(super) struct Parser<'a> {
    pub(super) tokens: Vec<Token>,
    pub(super) at: usize,
    pub(super) variables: &'a Map<String, Value>,
}

impl Parser<'_> {
    pub(super) fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    pub(super) fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    pub(super) fn expect(&mut self, c: char) -> Result<(), String> {
        match self.next() {
            Some(Token::Punct(p)) if p == c => Ok(()),
            other => Err(format!("expected `{c}`, found {other:?}")),
        }
    }

    pub(super) fn name(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Name(name)) => Ok(name),
            other => Err(format!("expected a name, found {other:?}")),
        }
    }

    /// `query Name($a: Int!) { … }`, `mutation { … }` or `{ … }`.
    pub(super) fn operation(&mut self) -> Result<(bool, Vec<Field>), String> {
        let mutation = match self.peek() {
            Some(Token::Name(word)) if word == "query" || word == "mutation" => {
                let mutation = word == "mutation";
                self.at += 1;
                if let Some(Token::Name(_)) = self.peek() {
                    self.at += 1;
                }
                if self.peek() == Some(&Token::Punct('(')) {
                    self.skip_variable_definitions()?;
                }
                mutation
            }
            _ => false,
        };
        let selection = self.selection(0)?;
        if self.at < self.tokens.len() {
            return Err("one operation a request; fragments are not implemented".into());
        }
        Ok((mutation, selection))
    }

    /// `($a: Int!, $b: [String!]!)`: the types are the client's business.
    pub(super) fn skip_variable_definitions(&mut self) -> Result<(), String> {
        self.expect('(')?;
        while let Some(token) = self.next() {
            if token == Token::Punct(')') {
                return Ok(());
            }
        }
        Err("variable definitions are not closed".into())
    }

    pub(super) fn selection(&mut self, depth: usize) -> Result<Vec<Field>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("selections nest deeper than {MAX_DEPTH}"));
        }
        self.expect('{')?;
        let mut fields = Vec::new();
        loop {
            match self.peek() {
                Some(Token::Punct('}')) => {
                    self.at += 1;
                    return Ok(fields);
                }
                Some(Token::Spread) => return Err("fakehub does not implement fragments".into()),
                Some(Token::Punct('@')) => {
                    return Err("fakehub does not implement directives".into())
                }
                None => return Err("a selection is not closed".into()),
                _ => fields.push(self.field(depth)?),
            }
        }
    }

    pub(super) fn field(&mut self, depth: usize) -> Result<Field, String> {
        let first = self.name()?;
        let (alias, name) = match self.peek() {
            Some(Token::Punct(':')) => {
                self.at += 1;
                (Some(first), self.name()?)
            }
            _ => (None, first),
        };
        let mut args = Map::new();
        if self.peek() == Some(&Token::Punct('(')) {
            self.at += 1;
            while self.peek() != Some(&Token::Punct(')')) {
                let key = self.name()?;
                self.expect(':')?;
                args.insert(key, self.value(depth)?);
            }
            self.at += 1;
        }
        let selection = match self.peek() {
            Some(Token::Punct('{')) => self.selection(depth + 1)?,
            _ => Vec::new(),
        };
        Ok(Field {
            alias,
            name,
            args,
            selection,
        })
    }

    pub(super) fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nest deeper than {MAX_DEPTH}"));
        }
        match self.next() {
            Some(Token::Punct('$')) => {
                let name = self.name()?;
                Ok(self.variables.get(&name).cloned().unwrap_or(Value::Null))
            }
            Some(Token::Str(text)) => Ok(Value::String(text)),
            Some(Token::Int(n)) => Ok(json!(n)),
            Some(Token::Name(word)) => Ok(match word.as_str() {
                "true" => json!(true),
                "false" => json!(false),
                "null" => Value::Null,
                _ => Value::String(word),
            }),
            Some(Token::Punct('[')) => {
                let mut items = Vec::new();
                while self.peek() != Some(&Token::Punct(']')) {
                    if self.peek().is_none() {
                        return Err("a list is not closed".into());
                    }
                    items.push(self.value(depth + 1)?);
                }
                self.at += 1;
                Ok(Value::Array(items))
            }
            Some(Token::Punct('{')) => {
                let mut object = Map::new();
                while self.peek() != Some(&Token::Punct('}')) {
                    let key = self.name()?;
                    self.expect(':')?;
                    object.insert(key, self.value(depth + 1)?);
                }
                self.at += 1;
                Ok(Value::Object(object))
            }
            other => Err(format!("expected a value, found {other:?}")),
        }
    }
}
