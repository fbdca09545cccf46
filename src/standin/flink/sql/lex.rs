//! Tokens of Flink SQL: words, back-quoted names, strings, numbers and symbols; comments and
//! whitespace dropped.

use super::SqlError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Sym(&'static str),
}

impl Tok {
    pub(super) fn show(&self) -> String {
        match self {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => format!("`{q}`"),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Num(n) => n.clone(),
            Tok::Sym(s) => (*s).to_string(),
        }
    }
}

const SYMBOLS: &[&str] = &[
    "<>", "!=", "<=", ">=", "||", "(", ")", ",", ".", ";", "*", "=", "<", ">", "+", "-", "/",
];

pub(super) fn tokenize(sql: &str) -> Result<Vec<Tok>, SqlError> {
    let mut out = Vec::new();
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    // A quoted run up to `close`, where a doubled `close` stands for itself.
    let quoted = |i: &mut usize, close: char| -> Result<String, SqlError> {
        let mut text = String::new();
        loop {
            match chars.get(*i) {
                None => {
                    return Err(SqlError::Unexpected {
                        expected: format!("a closing {close}"),
                        found: "the end".into(),
                    });
                }
                Some(&c) if c == close && chars.get(*i + 1) == Some(&close) => {
                    text.push(c);
                    *i += 2;
                }
                Some(&c) if c == close => {
                    *i += 1;
                    return Ok(text);
                }
                Some(&c) => {
                    text.push(c);
                    *i += 1;
                }
            }
        }
    };
    while let Some(&c) = chars.get(i) {
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && next == Some('-') {
            while chars.get(i).is_some_and(|&c| c != '\n') {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i += 2;
            while i < chars.len() && !(chars[i - 1] == '*' && chars[i] == '/') {
                i += 1;
            }
            i += 1;
        } else if c == '`' {
            i += 1;
            out.push(Tok::Quoted(quoted(&mut i, '`')?));
        } else if c == '\'' {
            i += 1;
            out.push(Tok::Str(quoted(&mut i, '\'')?));
        } else if c.is_ascii_digit() {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                i += 1;
            }
            out.push(Tok::Num(chars[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
            {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let sym = SYMBOLS
                .iter()
                .find(|s| two.starts_with(**s))
                .ok_or_else(|| SqlError::Unsupported(format!("the character {c:?}")))?;
            i += sym.len();
            out.push(Tok::Sym(sym));
        }
    }
    Ok(out)
}
