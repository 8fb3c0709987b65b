//! The product catalogue, in an in-memory SQLite database, so SQL injection against the lab is real SQL injection.
//!
//! The vulnerable query concatenates input into SQL text, the safe one binds it as a parameter. Both run on a
//! blocking thread under a watchdog that interrupts SQLite after [`QUERY_TIMEOUT`]: an injected heavy subquery
//! must not be able to wedge the lab.

use std::sync::Mutex;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, InterruptHandle, params_from_iter};
use serde_json::{Map, Value};

use crate::lab::state::lock;

/// How long one catalogue query may run before SQLite is interrupted.
pub(crate) const QUERY_TIMEOUT: Duration = Duration::from_secs(2);
/// Rows returned at most, whatever an injected `UNION` or join asks for.
const MAX_ROWS: usize = 1_000;

/// One catalogue row as JSON (`id`, `name`, `price`, plus whatever columns an injected query produced).
pub(crate) type Row = Map<String, Value>;

/// The SQLite connection and the handle that interrupts it.
pub(crate) struct ProductDb {
    conn: Mutex<Connection>,
    interrupt: InterruptHandle,
}

impl std::fmt::Debug for ProductDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProductDb")
    }
}

impl ProductDb {
    /// Creates the in-memory database with its seed rows.
    pub fn open() -> rusqlite::Result<Self> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE products (
                 id INTEGER PRIMARY KEY,
                 name TEXT NOT NULL,
                 price REAL NOT NULL,
                 internal_note TEXT NOT NULL
             );
             INSERT INTO products (id, name, price, internal_note) VALUES
                 (1, 'Widget', 9.99, 'supplier cost 2.10 EUR; margin 79%'),
                 (2, 'Gadget', 24.5, 'recall pending - do not restock'),
                 (3, 'Gizmo', 99.0, 'vendor contact: ops@supplier.apiward-lab.test'),
                 (4, 'Doohickey', 4.25, 'discontinued; clear remaining stock');",
        )?;
        let interrupt = conn.get_interrupt_handle();
        Ok(Self {
            conn: Mutex::new(conn),
            interrupt,
        })
    }

    /// Stops the query running now, if any (the watchdog's lever).
    pub fn interrupt(&self) {
        self.interrupt.interrupt();
    }

    /// The vulnerable lookup: `name` is pasted between quotes. Errors carry SQLite's own message.
    pub fn find_concatenated(&self, name: Option<&str>) -> Result<Vec<Row>, String> {
        let sql = match name {
            Some(name) => format!("SELECT id, name, price FROM products WHERE name = '{name}'"),
            None => "SELECT id, name, price FROM products".to_owned(),
        };
        self.run(&sql, &[]).map_err(|error| sqlite_message(&error))
    }

    /// The safe lookup: `name` is a bound parameter.
    pub fn find_parameterized(&self, name: Option<&str>) -> rusqlite::Result<Vec<Row>> {
        match name {
            Some(name) => self.run(
                "SELECT id, name, price FROM products WHERE name = ?1",
                &[name],
            ),
            None => self.run("SELECT id, name, price FROM products", &[]),
        }
    }

    /// Every product (`id`, `name`, `price`), for the document-style search.
    pub fn all(&self) -> rusqlite::Result<Vec<Row>> {
        self.run("SELECT id, name, price FROM products ORDER BY id", &[])
    }

    /// Runs one statement and turns each row into a JSON object keyed by column name.
    fn run(&self, sql: &str, params: &[&str]) -> rusqlite::Result<Vec<Row>> {
        let conn = lock(&self.conn);
        let mut statement = conn.prepare(sql)?;
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut rows = statement.query(params_from_iter(params.iter()))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            if out.len() >= MAX_ROWS {
                break;
            }
            let mut object = Map::new();
            for (index, column) in columns.iter().enumerate() {
                object.insert(column.clone(), to_json(row.get_ref(index)?));
            }
            out.push(object);
        }
        Ok(out)
    }
}

/// SQLite's own text for an error (`near "x": syntax error`), which is what leaks in the vulnerable lab.
fn sqlite_message(error: &rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

/// A SQLite value as JSON; blobs and invalid text become lossy strings rather than errors.
fn to_json(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::from(i),
        ValueRef::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concatenation_is_injectable_and_parameters_are_not() {
        let db = ProductDb::open().expect("db");
        assert_eq!(db.find_concatenated(Some("Widget")).expect("rows").len(), 1);
        assert_eq!(
            db.find_concatenated(Some("' OR '1'='1"))
                .expect("rows")
                .len(),
            4
        );
        assert_eq!(
            db.find_concatenated(Some("Widget' AND '1'='2"))
                .expect("rows")
                .len(),
            0
        );
        let error = db
            .find_concatenated(Some("x' x--"))
            .expect_err("syntax error");
        assert_eq!(error, r#"near "x": syntax error"#);
        let union = db
            .find_concatenated(Some(
                "' UNION SELECT id, internal_note, price FROM products--",
            ))
            .expect("union");
        assert!(
            union
                .iter()
                .any(|row| row["name"] == "recall pending - do not restock")
        );

        assert_eq!(
            db.find_parameterized(Some("' OR '1'='1"))
                .expect("rows")
                .len(),
            0
        );
        assert_eq!(
            db.find_parameterized(Some("Widget")).expect("rows").len(),
            1
        );
        assert_eq!(db.all().expect("rows").len(), 4);
    }

    #[test]
    fn hostile_text_is_an_error_not_a_panic() {
        let db = ProductDb::open().expect("db");
        for input in ["\0", "'; DROP TABLE products; --", "'''", "\u{feff}'"] {
            let _ = db.find_concatenated(Some(input));
            let _ = db.find_parameterized(Some(input));
        }
        assert_eq!(db.all().expect("table still there").len(), 4);
    }
}
