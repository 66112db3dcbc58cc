//! What an `expect` line says about a payload: anything (`*`), these exact bytes, a JSON
//! document holding at least these keys and values (`json {...}`), or a regular expression
//! (`/REGEX/`). Pure: the check says why a payload does not match, for the report.

use std::fmt;

use serde_json::Value;

/// How an expected payload is matched.
#[derive(Debug, Clone)]
pub enum PayloadMatch {
    /// `*`
    Any,
    /// The payload as written.
    Exact(Vec<u8>),
    /// `json {...}`: the payload is JSON, and holds this: every key of an object with a
    /// matching value (other keys may be there too), arrays element by element, numbers by
    /// value (`21.5` is `21.50`), the rest equal.
    Json(Value),
    /// `/REGEX/`: the payload, as text, has a match somewhere (anchor with `^` and `$`).
    Regex(regex::Regex),
}

impl PartialEq for PayloadMatch {
    fn eq(&self, other: &PayloadMatch) -> bool {
        match (self, other) {
            (PayloadMatch::Any, PayloadMatch::Any) => true,
            (PayloadMatch::Exact(a), PayloadMatch::Exact(b)) => a == b,
            (PayloadMatch::Json(a), PayloadMatch::Json(b)) => a == b,
            (PayloadMatch::Regex(a), PayloadMatch::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl PayloadMatch {
    /// The payload word of an `expect` line: `*`, `json ...`, `/.../`, or the payload itself.
    /// `quoted` words are always the payload itself (`"*"`, `"/x/"` are literal).
    pub fn parse(word: &[u8], quoted: bool) -> Result<PayloadMatch, String> {
        if quoted {
            return Ok(PayloadMatch::Exact(word.to_vec()));
        }
        let text = String::from_utf8_lossy(word);
        if text == "*" {
            return Ok(PayloadMatch::Any);
        }
        if let Some(document) = text
            .strip_prefix("json")
            .filter(|rest| rest.starts_with(char::is_whitespace))
        {
            return serde_json::from_str(document.trim())
                .map(PayloadMatch::Json)
                .map_err(|e| format!("the JSON after `json` does not parse: {e}"));
        }
        if text.len() >= 2 && text.starts_with('/') && text.ends_with('/') {
            let pattern = &text[1..text.len() - 1];
            return regex::Regex::new(pattern)
                .map(PayloadMatch::Regex)
                .map_err(|e| format!("bad regular expression /{pattern}/: {e}"));
        }
        Ok(PayloadMatch::Exact(word.to_vec()))
    }

    /// `Ok` if `payload` matches; else why not, in a few words.
    pub fn check(&self, payload: &[u8]) -> Result<(), String> {
        match self {
            PayloadMatch::Any => Ok(()),
            PayloadMatch::Exact(expected) if expected == payload => Ok(()),
            PayloadMatch::Exact(_) => Err("another payload".into()),
            PayloadMatch::Regex(re) if re.is_match(&String::from_utf8_lossy(payload)) => Ok(()),
            PayloadMatch::Regex(re) => Err(format!("no match for /{}/", re.as_str())),
            PayloadMatch::Json(expected) => {
                let actual: Value = serde_json::from_slice(payload)
                    .map_err(|e| format!("the payload is not JSON: {e}"))?;
                holds(&actual, expected, "")
            }
        }
    }
}

/// Whether `actual` holds `expected` (see [`PayloadMatch::Json`]); the error names the first
/// place where it does not, as a path like `sensors[1].temp`.
fn holds(actual: &Value, expected: &Value, path: &str) -> Result<(), String> {
    let at = |path: &str| {
        if path.is_empty() {
            "the document".to_string()
        } else {
            format!("`{path}`")
        }
    };
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => {
            for (key, value) in want {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match have.get(key) {
                    Some(found) => holds(found, value, &inner)?,
                    None => return Err(format!("no key `{inner}`")),
                }
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(have)) => {
            if want.len() != have.len() {
                return Err(format!(
                    "{} has {} items, not {}",
                    at(path),
                    have.len(),
                    want.len()
                ));
            }
            for (i, (value, found)) in want.iter().zip(have).enumerate() {
                holds(found, value, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Number(want), Value::Number(have)) if want.as_f64() == have.as_f64() => Ok(()),
        (want, have) if want == have => Ok(()),
        (want, have) => Err(format!("{} is {have}, not {want}", at(path))),
    }
}

impl fmt::Display for PayloadMatch {
    /// As the `.wire` line writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadMatch::Any => f.write_str("*"),
            PayloadMatch::Exact(payload) => {
                f.write_str(&super::expectations::show_payload(payload))
            }
            PayloadMatch::Json(value) => write!(f, "json {value}"),
            PayloadMatch::Regex(re) => write!(f, "/{}/", re.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(word: &str) -> PayloadMatch {
        PayloadMatch::parse(word.as_bytes(), false).unwrap()
    }

    #[test]
    fn json_holds_its_keys_nested_with_numbers_by_value_and_says_where_it_differs() {
        let expected =
            m(r#"json {"temp": 21.5, "site": {"room": "lab"}, "tags": [1, {"a": true}]}"#);
        let payload = br#"{"temp": 21.50, "hum": 40, "site": {"room": "lab", "floor": 2},
                           "tags": [1.0, {"a": true, "b": null}]}"#;
        assert_eq!(expected.check(payload), Ok(()));
        assert_eq!(
            expected.check(br#"{"temp": 22, "site": {"room": "lab"}, "tags": [1, {"a": true}]}"#),
            Err("`temp` is 22, not 21.5".into())
        );
        assert_eq!(
            expected.check(br#"{"temp": 21.5, "site": {}, "tags": [1, {"a": true}]}"#),
            Err("no key `site.room`".into())
        );
        assert_eq!(
            expected.check(br#"{"temp": 21.5, "site": {"room": "lab"}, "tags": [1]}"#),
            Err("`tags` has 1 items, not 2".into())
        );
        assert!(
            expected
                .check(b"not json")
                .unwrap_err()
                .starts_with("the payload is not JSON")
        );
        assert_eq!(m("json 5").check(b"5.0"), Ok(()));
    }

    #[test]
    fn regexes_search_the_text_and_quoted_words_are_literal() {
        let re = m(r"/^\d+(\.\d+)? C$/");
        assert_eq!(re.check(b"21.5 C"), Ok(()));
        assert_eq!(
            re.check(b"warm"),
            Err(r"no match for /^\d+(\.\d+)? C$/".into())
        );
        assert_eq!(m("/ok/").check(b"it is ok now"), Ok(()));
        assert_eq!(
            PayloadMatch::parse(b"/ok/", true).unwrap(),
            PayloadMatch::Exact(b"/ok/".to_vec())
        );
        assert_eq!(
            PayloadMatch::parse(b"*", true).unwrap().check(b"x"),
            Err("another payload".into())
        );
        assert_eq!(m("*").check(b"anything"), Ok(()));
        assert_eq!(m("jsonish").check(b"jsonish"), Ok(()));
    }

    #[test]
    fn mistakes_are_explained() {
        let json = PayloadMatch::parse(b"json {\"a\": }", false).unwrap_err();
        assert!(
            json.starts_with("the JSON after `json` does not parse"),
            "{json}"
        );
        let re = PayloadMatch::parse(b"/(/", false).unwrap_err();
        assert!(re.starts_with("bad regular expression /(/"), "{re}");
    }

    #[test]
    fn they_print_as_written() {
        assert_eq!(m(r#"json {"a":1}"#).to_string(), r#"json {"a":1}"#);
        assert_eq!(m("/a+/").to_string(), "/a+/");
        assert_eq!(m("*").to_string(), "*");
    }
}
