//! Response and input helpers shared by every lab route.
//!
//! The lab reads bodies, paths and query strings itself instead of using axum's extractors, so no framework
//! rejection text can ever leak: every status and every byte of an error answer is decided here, and depends only
//! on the switches. That is what lets a check tell "verbose errors" from "hardened" with certainty.

use axum::body::{Body, to_bytes};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::lab::state::LabState;

/// Request bodies larger than this are refused (413 hardened, a stack trace when `verbose_errors` is on).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// A JSON response (`Content-Type: application/json`).
pub(crate) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// `{"error": message}` with `status`.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, json!({ "error": message }))
}

/// The lab's 404, also its answer for unknown routes and for switched-off features.
pub(crate) fn not_found() -> Response {
    error(StatusCode::NOT_FOUND, "not found")
}

/// The lab's 401. `WWW-Authenticate` is added (or not) by the outer layer, for every 401 alike.
pub(crate) fn unauthorized() -> Response {
    error(StatusCode::UNAUTHORIZED, "unauthorized")
}

/// The lab's 403.
pub(crate) fn forbidden() -> Response {
    error(StatusCode::FORBIDDEN, "forbidden")
}

/// A plain-text response, for traces and exposed files.
pub(crate) fn text(status: StatusCode, content_type: &'static str, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// 500 with a stack trace in the body: what `verbose_errors` looks like.
fn trace(body: String) -> Response {
    text(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        body,
    )
}

/// The answer to input the route cannot use: a Node-style `TypeError` trace when `verbose_errors` is on,
/// otherwise 400 `{"error":"invalid request"}`.
pub(crate) fn invalid(state: &LabState, what: &str) -> Response {
    if state.switches.verbose_errors {
        trace(format!(
            "TypeError: Cannot read properties of undefined (reading '{what}')\n{EXPRESS_FRAMES}"
        ))
    } else {
        error(StatusCode::BAD_REQUEST, "invalid request")
    }
}

/// The answer to a non-numeric object id: a Python traceback when `verbose_errors` is on, else 400.
///
/// `resource` names the fake module (`orders` gives `/app/api/orders.py`), `function` the fake view function.
pub(crate) fn invalid_id(state: &LabState, raw: &str, resource: &str, function: &str) -> Response {
    if state.switches.verbose_errors {
        let shown: String = raw.chars().take(100).collect();
        trace(format!(
            "Traceback (most recent call last):\n  \
             File \"/app/api/{resource}.py\", line 42, in {function}\n    \
             object_id = int(request.view_args[\"id\"])\n\
             ValueError: invalid literal for int() with base 10: '{shown}'\n"
        ))
    } else {
        error(StatusCode::BAD_REQUEST, "invalid request")
    }
}

/// Frames below `JSON.parse` in an Express app, shared by every Node-style trace.
const EXPRESS_FRAMES: &str = "    at JSON.parse (<anonymous>)
    at parse (/app/node_modules/body-parser/lib/types/json.js:89:19)
    at /app/node_modules/body-parser/lib/read.js:128:18
    at AsyncResource.runInAsyncScope (node:async_hooks:203:9)
    at invokeCallback (/app/node_modules/raw-body/index.js:238:16)
    at done (/app/node_modules/raw-body/index.js:227:7)
    at IncomingMessage.onEnd (/app/node_modules/raw-body/index.js:287:7)
    at IncomingMessage.emit (node:events:517:28)
    at endReadableNT (node:internal/streams/readable:1368:12)
    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)
";

/// Reads a JSON body of at most [`MAX_BODY`] bytes and parses it, answering bad input as the switches say.
///
/// Oversized: 413 `{"error":"payload too large"}` (hardened) or a 500 `PayloadTooLargeError` trace.
/// Malformed: 400 `{"error":"invalid request"}` (hardened) or a 500 `SyntaxError` trace with `JSON.parse` frames.
pub(crate) async fn read_json(state: &LabState, body: Body) -> Result<Value, Response> {
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(_) if state.switches.verbose_errors => {
            return Err(trace(format!(
                "PayloadTooLargeError: request entity too large\n    \
                 at readStream (/app/node_modules/raw-body/index.js:163:17)\n    \
                 at getRawBody (/app/node_modules/raw-body/index.js:116:12)\n    \
                 at read (/app/node_modules/body-parser/lib/read.js:79:3)\n    \
                 at jsonParser (/app/node_modules/body-parser/lib/types/json.js:138:5)\n\
                 limit: {MAX_BODY}\n"
            )));
        }
        Err(_) => return Err(error(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")),
    };
    serde_json::from_slice(&bytes).map_err(|parse_error| {
        if state.switches.verbose_errors {
            trace(format!(
                "{}\n{EXPRESS_FRAMES}",
                syntax_error_line(&bytes, &parse_error)
            ))
        } else {
            error(StatusCode::BAD_REQUEST, "invalid request")
        }
    })
}

/// `SyntaxError: Unexpected token } in JSON at position 12`, as V8 words it, from serde_json's line/column.
fn syntax_error_line(bytes: &[u8], parse_error: &serde_json::Error) -> String {
    if parse_error.is_eof() {
        return "SyntaxError: Unexpected end of JSON input".to_owned();
    }
    let text = String::from_utf8_lossy(bytes);
    // serde_json counts lines from 1 and columns from 1 at the offending character.
    let line_start: usize = text
        .split_inclusive('\n')
        .take(parse_error.line().saturating_sub(1))
        .map(str::len)
        .sum();
    let position = line_start + parse_error.column().saturating_sub(1);
    let token = text
        .get(position..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('?');
    format!("SyntaxError: Unexpected token {token} in JSON at position {position}")
}

/// The first value of query parameter `name`, percent-decoded; invalid UTF-8 becomes U+FFFD, never an error.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    let query = uri.query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// The last path segment, raw (route ids are plain digits, so no decoding is needed to judge them).
pub(crate) fn last_segment(uri: &Uri) -> &str {
    uri.path().rsplit('/').next().unwrap_or("")
}

/// Parses an object id: ASCII digits only, fitting in `u64`.
pub(crate) fn parse_id(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_error_names_the_token_and_position() {
        let body = br#"{"username":}"#;
        let parse_error = serde_json::from_slice::<Value>(body).unwrap_err();
        assert_eq!(
            syntax_error_line(body, &parse_error),
            "SyntaxError: Unexpected token } in JSON at position 12"
        );
        let body = b"{\n\"a\": x}";
        let parse_error = serde_json::from_slice::<Value>(body).unwrap_err();
        assert_eq!(
            syntax_error_line(body, &parse_error),
            "SyntaxError: Unexpected token x in JSON at position 7"
        );
        let parse_error = serde_json::from_slice::<Value>(b"{").unwrap_err();
        assert!(syntax_error_line(b"{", &parse_error).contains("end of JSON"));
    }

    #[test]
    fn ids_and_queries_never_fail_loudly() {
        assert_eq!(parse_id("101"), Some(101));
        for raw in [
            "",
            "abc",
            "-1",
            "+1",
            "1e3",
            "99999999999999999999999",
            "１",
        ] {
            assert_eq!(parse_id(raw), None, "{raw}");
        }
        let uri: Uri = "/p?name=%FF%FE&x=1&name=second".parse().expect("uri");
        assert_eq!(
            query_param(&uri, "name").as_deref(),
            Some("\u{fffd}\u{fffd}")
        );
        assert_eq!(query_param(&uri, "missing"), None);
    }
}
