//! The product catalogue: SQL injection (`GET /api/v2/products?name=`) and NoSQL operator injection
//! (`POST /api/v2/products/search`). Both routes are public.

use std::cmp::Ordering;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::lab::db::{QUERY_TIMEOUT, Row};
use crate::lab::pattern::Pattern;
use crate::lab::respond::{error, invalid, json_response, query_param, read_json, text};
use crate::lab::state::LabState;

/// `GET /api/v2/products?name=X`.
pub(crate) async fn find(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let name = query_param(request.uri(), "name");
    if state.switches.sql_injection {
        let result = with_watchdog(&state, move |lab| {
            lab.products.find_concatenated(name.as_deref())
        })
        .await;
        match result {
            Some(Ok(rows)) => products(rows),
            // The driver's message and a Python traceback, as a debug-mode Flask app would show them.
            Some(Err(message)) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                format!(
                    "Traceback (most recent call last):\n  \
                     File \"/app/api/products.py\", line 27, in search_products\n    \
                     rows = db.execute(query).fetchall()\n\
                     sqlite3.OperationalError: {message}\n"
                ),
            ),
            None => error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    } else {
        let result = with_watchdog(&state, move |lab| {
            lab.products.find_parameterized(name.as_deref())
        })
        .await;
        match result {
            Some(Ok(rows)) => products(rows),
            _ => error(StatusCode::INTERNAL_SERVER_ERROR, "internal error"),
        }
    }
}

/// `POST /api/v2/products/search` with `{"filter": {"name": ...}}`.
pub(crate) async fn search(State(state): State<Arc<LabState>>, request: Request) -> Response {
    let body = match read_json(&state, request.into_body()).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let condition = match body.get("filter") {
        None | Some(Value::Null) => None,
        Some(Value::Object(filter)) => filter.get("name").cloned(),
        Some(_) => return invalid(&state, "filter"),
    };
    let condition = match condition {
        None => Condition::All,
        Some(Value::String(name)) => Condition::Equals(name),
        Some(_) if !state.switches.nosql_injection => {
            return error(StatusCode::BAD_REQUEST, "invalid filter");
        }
        Some(Value::Object(operators)) => match Condition::operators(&operators) {
            Ok(condition) => condition,
            Err(message) => return error(StatusCode::BAD_REQUEST, &message),
        },
        // A bare null, number, bool or array equals no product name.
        Some(_) => Condition::Nothing,
    };
    let Some(Ok(all)) = with_watchdog(&state, |lab| lab.products.all()).await else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    };
    let rows = all
        .into_iter()
        .filter(|row| condition.matches(row.get("name").and_then(Value::as_str).unwrap_or("")))
        .collect();
    products(rows)
}

/// `{"products": [...]}`.
fn products(rows: Vec<Row>) -> Response {
    json_response(StatusCode::OK, json!({ "products": rows }))
}

/// Runs a catalogue query on a blocking thread; interrupts SQLite if it outlives [`QUERY_TIMEOUT`].
async fn with_watchdog<T: Send + 'static>(
    state: &Arc<LabState>,
    query: impl FnOnce(&LabState) -> T + Send + 'static,
) -> Option<T> {
    let lab = Arc::clone(state);
    let mut task = tokio::task::spawn_blocking(move || query(&lab));
    match tokio::time::timeout(QUERY_TIMEOUT, &mut task).await {
        Ok(joined) => joined.ok(),
        Err(_) => {
            state.products.interrupt();
            task.await.ok()
        }
    }
}

/// A name filter, Mongo-style.
#[derive(Debug)]
enum Condition {
    All,
    Nothing,
    Equals(String),
    /// Every operator must hold.
    And(Vec<Operator>),
}

/// One `$op: value` pair.
#[derive(Debug)]
enum Operator {
    Eq(Value),
    Ne(Value),
    Compare(Ordering, bool, Value),
    In(Vec<Value>, bool),
    Regex(Pattern),
}

impl Condition {
    /// Interprets an operator object such as `{"$ne": null}` (only reached with `nosql_injection` on).
    fn operators(operators: &serde_json::Map<String, Value>) -> Result<Self, String> {
        let case_insensitive = operators
            .get("$options")
            .and_then(Value::as_str)
            .is_some_and(|options| options.contains('i'));
        let mut parsed = Vec::new();
        for (operator, operand) in operators {
            let op = match operator.as_str() {
                "$eq" => Operator::Eq(operand.clone()),
                "$ne" => Operator::Ne(operand.clone()),
                "$gt" => Operator::Compare(Ordering::Greater, false, operand.clone()),
                "$gte" => Operator::Compare(Ordering::Greater, true, operand.clone()),
                "$lt" => Operator::Compare(Ordering::Less, false, operand.clone()),
                "$lte" => Operator::Compare(Ordering::Less, true, operand.clone()),
                "$in" | "$nin" => match operand {
                    Value::Array(values) => Operator::In(values.clone(), operator == "$in"),
                    _ => return Err(format!("{operator} needs an array")),
                },
                "$regex" => match operand
                    .as_str()
                    .and_then(|source| Pattern::new(source, case_insensitive))
                {
                    Some(pattern) => Operator::Regex(pattern),
                    None => return Err("invalid regex".to_owned()),
                },
                "$options" => continue,
                _ => return Err(format!("unknown operator {operator}")),
            };
            parsed.push(op);
        }
        Ok(Self::And(parsed))
    }

    fn matches(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Nothing => false,
            Self::Equals(expected) => name == expected,
            Self::And(operators) => operators.iter().all(|op| op.matches(name)),
        }
    }
}

impl Operator {
    fn matches(&self, name: &str) -> bool {
        let equals = |value: &Value| value.as_str() == Some(name);
        match self {
            Self::Eq(value) => equals(value),
            // `{"$ne": null}` or `{"$ne": ""}`: everything, which is the injection.
            Self::Ne(value) => !equals(value),
            // Like Mongo, comparisons only hold between values of the same type.
            Self::Compare(direction, or_equal, value) => value.as_str().is_some_and(|bound| {
                let order = name.cmp(bound);
                order == *direction || (*or_equal && order == Ordering::Equal)
            }),
            Self::In(values, wanted) => values.iter().any(equals) == *wanted,
            Self::Regex(pattern) => pattern.is_match(name),
        }
    }
}
