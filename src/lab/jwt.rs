//! HS256 JSON Web Tokens, written out by hand so every verification shortcut a weak API takes can be switched on.
//!
//! No JWT crate: the lab needs to *fail* in controlled ways (accept `alg: none`, skip the signature, ignore
//! `exp`), and a correct library would fight that. Only the hardened path is meant to be correct: constant-time
//! HMAC comparison, `alg` pinned to `HS256`, `exp` required.

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::lab::switches::Switches;

/// base64url without padding on output, padding tolerated on input (clients differ).
const B64: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
/// Tokens longer than this are refused before any decoding.
const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The claims the lab issues.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Claims {
    pub user_id: u64,
    pub username: String,
    pub role: String,
    pub iat: i64,
    pub exp: i64,
}

/// Why a token was refused. Callers answer 401 whatever the reason; the reason is for tests.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum JwtError {
    /// Not three base64url JSON parts, or claims of the wrong shape.
    Malformed,
    /// `alg` is `none` (with the switch off) or anything but `HS256`.
    Algorithm,
    /// The HMAC does not verify.
    Signature,
    /// `exp` is missing or past.
    Expired,
}

/// Signs `claims` with HS256 under `secret`.
pub(crate) fn sign(claims: &Claims, secret: &[u8]) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let payload = json!({
        "sub": claims.user_id.to_string(),
        "username": claims.username,
        "role": claims.role,
        "iat": claims.iat,
        "exp": claims.exp,
    });
    let signing_input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(payload.to_string())
    );
    let signature = B64.encode(hmac_sha256(secret, signing_input.as_bytes()));
    format!("{signing_input}.{signature}")
}

/// Verifies `token` as the lab's switches dictate, at time `now` (Unix seconds).
pub(crate) fn verify(
    token: &str,
    secret: &[u8],
    switches: &Switches,
    now: i64,
) -> Result<Claims, JwtError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwtError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_b64), Some(payload_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    let header = decode_json(header_b64)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or("");

    if alg.eq_ignore_ascii_case("none") {
        // The classic flaw: the token itself says it needs no signature, and the server believes it.
        if !switches.jwt_alg_none {
            return Err(JwtError::Algorithm);
        }
    } else if alg == "HS256" {
        if !switches.jwt_no_signature_check {
            let signature = B64.decode(signature_b64).map_err(|_| JwtError::Signature)?;
            let mut mac = new_mac(secret);
            mac.update(header_b64.as_bytes());
            mac.update(b".");
            mac.update(payload_b64.as_bytes());
            // `verify_slice` compares in constant time.
            mac.verify_slice(&signature)
                .map_err(|_| JwtError::Signature)?;
        }
    } else {
        return Err(JwtError::Algorithm);
    }

    let payload = decode_json(payload_b64)?;
    let claims = claims_from(&payload)?;
    if !switches.jwt_expired_accepted && claims.exp <= now {
        return Err(JwtError::Expired);
    }
    Ok(claims)
}

/// Reads the lab's claims from a decoded payload. `exp` defaults to "already expired" when absent, so a
/// token without expiry only works where expiry is ignored anyway.
fn claims_from(payload: &Value) -> Result<Claims, JwtError> {
    let user_id = match payload.get("sub") {
        Some(Value::String(sub)) => sub.parse().map_err(|_| JwtError::Malformed)?,
        Some(Value::Number(sub)) => sub.as_u64().ok_or(JwtError::Malformed)?,
        _ => return Err(JwtError::Malformed),
    };
    let text = |key: &str| {
        payload
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let number = |key: &str| payload.get(key).and_then(Value::as_i64);
    Ok(Claims {
        user_id,
        username: text("username"),
        role: text("role"),
        iat: number("iat").unwrap_or(0),
        exp: number("exp").unwrap_or(i64::MIN),
    })
}

/// Decodes one base64url segment holding a JSON object.
fn decode_json(segment: &str) -> Result<Value, JwtError> {
    let bytes = B64.decode(segment).map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value @ Value::Object(_)) => Ok(value),
        _ => Err(JwtError::Malformed),
    }
}

/// A keyed HMAC-SHA256. HMAC takes keys of any length, so this cannot fail.
fn new_mac(secret: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
}

/// HMAC-SHA256 of `data` under `secret`.
fn hmac_sha256(secret: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = new_mac(secret);
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Base64url-encodes `data` without padding (tests build forged tokens with it).
#[cfg(test)]
pub(crate) fn b64url(data: &[u8]) -> String {
    B64.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            user_id: 1,
            username: "alice".into(),
            role: "user".into(),
            iat: 0,
            exp,
        }
    }

    fn forged(alg: &str, signature: &str) -> String {
        let header = b64url(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes());
        let payload = b64url(br#"{"sub":"3","username":"admin","role":"admin","exp":9999999999}"#);
        format!("{header}.{payload}.{signature}")
    }

    #[test]
    fn round_trip_and_known_vector() {
        let token = sign(&claims(2_000), b"secret");
        let hardened = Switches::all_off();
        assert_eq!(
            verify(&token, b"secret", &hardened, 1_000),
            Ok(claims(2_000))
        );
        assert_eq!(
            verify(&token, b"other", &hardened, 1_000),
            Err(JwtError::Signature)
        );
        // RFC 4231 test case 2 guards the HMAC wiring.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            crate::lab::state::hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn alg_none_only_when_switched_on() {
        let mut switches = Switches::all_off();
        for alg in ["none", "None", "NONE"] {
            assert_eq!(
                verify(&forged(alg, ""), b"k", &switches, 0),
                Err(JwtError::Algorithm)
            );
        }
        switches.jwt_alg_none = true;
        for alg in ["none", "None", "NONE"] {
            assert_eq!(
                verify(&forged(alg, ""), b"k", &switches, 0).map(|c| c.user_id),
                Ok(3)
            );
        }
        assert_eq!(
            verify(&forged("RS256", "x"), b"k", &switches, 0),
            Err(JwtError::Algorithm)
        );
    }

    #[test]
    fn signature_check_and_expiry_switches() {
        let mut switches = Switches::all_off();
        let garbage = forged("HS256", "Z2FyYmFnZQ");
        assert_eq!(
            verify(&garbage, b"k", &switches, 0),
            Err(JwtError::Signature)
        );
        switches.jwt_no_signature_check = true;
        assert!(verify(&garbage, b"k", &switches, 0).is_ok());
        assert!(verify(&forged("HS256", "!!!"), b"k", &switches, 0).is_ok());

        let expired = sign(&claims(100), b"k");
        let mut switches = Switches::all_off();
        assert_eq!(
            verify(&expired, b"k", &switches, 100),
            Err(JwtError::Expired)
        );
        switches.jwt_expired_accepted = true;
        assert!(verify(&expired, b"k", &switches, 100).is_ok());
    }

    #[test]
    fn garbage_is_malformed() {
        let switches = Switches::all_on();
        for token in [
            "",
            ".",
            "..",
            "a.b.c",
            "a.b.c.d",
            "eyJ.eyJ.",
            &"a".repeat(10_000),
        ] {
            assert!(verify(token, b"k", &switches, 0).is_err(), "{token}");
        }
    }
}
