//! Just enough JSON to read `cargo metadata`: values, no serialisation. (A JSON crate in
//! loadlib's dependencies would be compiled by every program that uses loadlib, for a
//! check its build scripts run.)

/// A JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Json {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// The member `key` of an object.
    pub(super) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The elements of an array (none for anything else).
    pub(super) fn items(&self) -> &[Json] {
        match self {
            Json::Array(items) => items,
            _ => &[],
        }
    }

    /// The text of a string.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Parses a whole document; `None` if it is not valid JSON.
pub(super) fn parse(text: &str) -> Option<Json> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

/// Nesting deeper than this is refused (cargo's output nests a few levels).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Option<()> {
        self.ws();
        (self.s.get(self.i) == Some(&b)).then(|| self.i += 1)
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.ws();
        let rest = &self.s[self.i..];
        let word = |w: &str, v: Json| rest.starts_with(w.as_bytes()).then_some((w.len(), v));
        if let Some((n, v)) = word("null", Json::Null)
            .or_else(|| word("true", Json::Bool(true)))
            .or_else(|| word("false", Json::Bool(false)))
        {
            self.i += n;
            return Some(v);
        }
        match rest.first()? {
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']').is_some() {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']').is_some() {
                        return Some(Json::Array(items));
                    }
                    self.eat(b',')?;
                }
            }
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if self.eat(b'}').is_some() {
                    return Some(Json::Object(members));
                }
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.eat(b':')?;
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}').is_some() {
                        return Some(Json::Object(members));
                    }
                    self.eat(b',')?;
                }
            }
            _ => {
                let n = rest
                    .iter()
                    .take_while(|b| matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .count();
                let v = std::str::from_utf8(&rest[..n]).ok()?.parse().ok()?;
                self.i += n;
                Some(Json::Number(v))
            }
        }
    }

    /// A string starting at the current `"`.
    fn string(&mut self) -> Option<String> {
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).ok(),
                b'\\' => {
                    let e = *self.s.get(self.i)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                b => out.push(b),
            }
        }
    }

    /// The character of a `\uXXXX` escape (a surrogate pair takes two), after the `u`.
    fn unicode_escape(&mut self) -> Option<char> {
        let hex = |p: &mut Self| {
            let digits = std::str::from_utf8(p.s.get(p.i..p.i + 4)?).ok()?;
            p.i += 4;
            u32::from_str_radix(digits, 16).ok()
        };
        let first = hex(self)?;
        if (0xD800..0xDC00).contains(&first) {
            if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                return None;
            }
            self.i += 2;
            let second = hex(self)?;
            let code = 0x10000 + ((first - 0xD800) << 10) + second.checked_sub(0xDC00)?;
            return char::from_u32(code);
        }
        char::from_u32(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_of_every_kind_are_read() {
        let v = parse(
            r#" {"a": [1, -2.5e1, true, false, null], "b": {"c": "x\"y\\z\u00e9\ud83d\ude00"}, "d": []} "#,
        )
        .unwrap();
        assert_eq!(
            v.get("a").unwrap().items(),
            [
                Json::Number(1.0),
                Json::Number(-25.0),
                Json::Bool(true),
                Json::Bool(false),
                Json::Null
            ]
        );
        assert_eq!(
            v.get("b").unwrap().get("c").unwrap().as_str(),
            Some("x\"y\\zé😀")
        );
        assert!(v.get("d").unwrap().items().is_empty());
        assert!(v.get("e").is_none());
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in ["", "{", "[1,]", r#"{"a" 1}"#, r#""\q""#, "[1] x", "nul"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse(&deep), None);
    }
}
