//! Who may connect to the embedded broker: anyone (on loopback, the default), or the users
//! of a password file in mosquitto_passwd's format, or one user given on the command line,
//! with or without anonymous clients besides. A refused CONNECT gets CONNACK 5, "not
//! authorized", as mosquitto answers.
//!
//! mosquitto_passwd writes `user:$7$ITERATIONS$SALT$HASH` (PBKDF2-HMAC-SHA512) and older
//! versions `user:$6$SALT$HASH` (SHA-512 of the password and the salt); salt and hash in
//! base64, 12 and 64 bytes. Files made with it work here unchanged.

use std::collections::HashMap;
use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::{digest, pbkdf2};

/// How a user's password is checked.
#[derive(Clone, PartialEq, Eq)]
enum Secret {
    /// Given on the command line.
    Plain(Vec<u8>),
    /// `$6$`: SHA-512 of the password followed by the salt.
    Sha512 { salt: Vec<u8>, hash: Vec<u8> },
    /// `$7$`: PBKDF2 with HMAC-SHA512.
    Pbkdf2 {
        iterations: NonZeroU32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password, nor its hash.
        f.write_str(match self {
            Secret::Plain(_) => "Plain(..)",
            Secret::Sha512 { .. } => "Sha512(..)",
            Secret::Pbkdf2 { .. } => "Pbkdf2(..)",
        })
    }
}

impl Secret {
    fn matches(&self, password: &[u8]) -> bool {
        match self {
            Secret::Plain(expected) => same(expected, password),
            Secret::Sha512 { salt, hash } => {
                let mut context = digest::Context::new(&digest::SHA512);
                context.update(password);
                context.update(salt);
                same(context.finish().as_ref(), hash)
            }
            Secret::Pbkdf2 {
                iterations,
                salt,
                hash,
            } => pbkdf2::verify(
                pbkdf2::PBKDF2_HMAC_SHA512,
                *iterations,
                salt,
                password,
                hash,
            )
            .is_ok(),
        }
    }
}

/// Whether `a` and `b` are equal, in a time that does not say where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

/// Who may connect.
///
/// ```
/// use pymqtt::broker::Access;
///
/// let mut access = Access::users_only();
/// access.add_user("gateway", "s3cret");
/// assert!(access.allows(Some(("gateway", "s3cret"))));
/// assert!(!access.allows(Some(("gateway", "guess"))));
/// assert!(!access.allows(None));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    users: HashMap<String, Secret>,
    anonymous: bool,
}

impl Default for Access {
    /// Anyone, with any user name and password or none: the broker for a script on this
    /// computer.
    fn default() -> Access {
        Access::anyone()
    }
}

impl Access {
    /// Anyone, whatever credentials they send (rumqttd's own behaviour).
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// assert!(Access::anyone().allows(Some(("anybody", "anything"))));
    /// ```
    pub fn anyone() -> Access {
        Access {
            users: HashMap::new(),
            anonymous: true,
        }
    }

    /// Only the users added with [`Access::add_user`] or [`Access::add_password_file`].
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// assert!(!Access::users_only().allows(None));
    /// ```
    pub fn users_only() -> Access {
        Access {
            users: HashMap::new(),
            anonymous: false,
        }
    }

    /// Lets clients that send no user name in too (`--allow-anonymous`).
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// let access = Access::users_only().allow_anonymous();
    /// assert!(access.allows(None));
    /// ```
    pub fn allow_anonymous(mut self) -> Access {
        self.anonymous = true;
        self
    }

    /// Whether anyone at all may connect without credentials.
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// assert!(Access::anyone().is_open());
    /// assert!(!Access::users_only().is_open());
    /// ```
    pub fn is_open(&self) -> bool {
        self.users.is_empty() && self.anonymous
    }

    /// Lets `user` in with `password`, given in plain text (`--user` and `--password`); a user
    /// already known gets the new password.
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// let mut access = Access::users_only();
    /// access.add_user("gateway", "old");
    /// access.add_user("gateway", "new");
    /// assert!(access.allows(Some(("gateway", "new"))) && !access.allows(Some(("gateway", "old"))));
    /// ```
    pub fn add_user(&mut self, user: &str, password: &str) {
        self.users.insert(
            user.to_string(),
            Secret::Plain(password.as_bytes().to_vec()),
        );
    }

    /// Adds the users of a password file's text; an error names the line and what is wrong.
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// let mut access = Access::users_only();
    /// let error = access.add_password_file("gateway\n").unwrap_err();
    /// assert!(error.contains("line 1"), "{error}");
    /// ```
    pub fn add_password_file(&mut self, text: &str) -> Result<(), String> {
        for (number, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, secret) =
                parse_line(line).map_err(|what| format!("line {}: {what}", number + 1))?;
            self.users.insert(user, secret);
        }
        Ok(())
    }

    /// Whether a CONNECT with this login (None: no user name) gets in.
    ///
    /// ```
    /// use pymqtt::broker::Access;
    ///
    /// let mut access = Access::users_only();
    /// access.add_user("relay", "pw");
    /// assert!(access.allows(Some(("relay", "pw"))));
    /// ```
    pub fn allows(&self, login: Option<(&str, &str)>) -> bool {
        if self.users.is_empty() {
            return self.anonymous;
        }
        match login {
            None => self.anonymous,
            Some((user, password)) => self
                .users
                .get(user)
                .is_some_and(|secret| secret.matches(password.as_bytes())),
        }
    }
}

fn parse_line(line: &str) -> Result<(String, Secret), String> {
    let (user, hash) = line
        .split_once(':')
        .ok_or("expected USER:HASH, as mosquitto_passwd writes it")?;
    if user.is_empty() {
        return Err("the user name is empty".into());
    }
    let fields: Vec<&str> = hash.split('$').collect();
    let decode = |field: &str, what: &str, len: usize| {
        BASE64
            .decode(field)
            .ok()
            .filter(|bytes| bytes.len() == len)
            .ok_or(format!(
                "the {what} of user {user:?} is not {len} bytes of base64"
            ))
    };
    let secret = match fields.as_slice() {
        ["", "6", salt, hash] => Secret::Sha512 {
            salt: decode(salt, "salt", 12)?,
            hash: decode(hash, "hash", 64)?,
        },
        ["", "7", iterations, salt, hash] => Secret::Pbkdf2 {
            iterations: iterations
                .parse()
                .map_err(|_| format!("the iteration count of user {user:?} is not a number"))?,
            salt: decode(salt, "salt", 12)?,
            hash: decode(hash, "hash", 64)?,
        },
        _ => {
            return Err(format!(
                "the password of user {user:?} is not hashed: hash the file with \
                 `mosquitto_passwd -U FILE`, or give --user and --password"
            ));
        }
    };
    Ok((user.to_string(), secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pbkdf2_line(user: &str, password: &str, iterations: u32) -> String {
        let salt = *b"twelve-bytes";
        let mut hash = [0u8; 64];
        pbkdf2::derive(
            pbkdf2::PBKDF2_HMAC_SHA512,
            NonZeroU32::new(iterations).unwrap(),
            &salt,
            password.as_bytes(),
            &mut hash,
        );
        format!(
            "{user}:$7${iterations}${}${}",
            BASE64.encode(salt),
            BASE64.encode(hash)
        )
    }

    #[test]
    fn a_password_file_lets_its_users_in_with_their_passwords_only() {
        let mut access = Access::users_only();
        let salt = *b"salt-of-12b!";
        let mut context = digest::Context::new(&digest::SHA512);
        context.update(b"old");
        context.update(&salt);
        let sha = format!(
            "veteran:$6${}${}",
            BASE64.encode(salt),
            BASE64.encode(context.finish())
        );
        let file = format!(
            "# users\n{}\n\n{sha}\r\n",
            pbkdf2_line("board", "s3cret", 101)
        );
        access.add_password_file(&file).unwrap();
        assert!(access.allows(Some(("board", "s3cret"))));
        assert!(access.allows(Some(("veteran", "old"))));
        assert!(!access.allows(Some(("board", "wrong"))));
        assert!(!access.allows(Some(("nobody", "s3cret"))));
        assert!(!access.allows(None));
        assert!(access.clone().allow_anonymous().allows(None));
    }

    #[test]
    fn plain_text_and_broken_lines_are_refused_with_their_line() {
        let mut access = Access::users_only();
        assert_eq!(
            access.add_password_file("a:$7$1$AAAA$BBBB\nb:plain\n"),
            Err("line 1: the salt of user \"a\" is not 12 bytes of base64".into())
        );
        let err = access.add_password_file("\nb:plain\n").unwrap_err();
        assert!(
            err.starts_with("line 2: the password of user \"b\" is not hashed"),
            "{err}"
        );
        assert!(access.add_password_file("nocolon").is_err());
    }

    #[test]
    fn anyone_gets_in_by_default_and_a_command_line_user_closes_the_door() {
        assert!(Access::default().allows(None));
        assert!(Access::default().allows(Some(("any", "thing"))));
        let mut access = Access::users_only();
        access.add_user("u", "p");
        assert!(access.allows(Some(("u", "p"))));
        assert!(!access.allows(Some(("u", "q"))));
        assert!(!access.allows(None));
    }
}
