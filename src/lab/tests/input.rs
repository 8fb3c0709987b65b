//! Input switches: verbose errors, SQL and NoSQL injection; and garbage input never crashes the lab.

use super::Lab;

#[tokio::test]
async fn verbose_errors_on_bad_ids_and_bodies() {
    let vulnerable = Lab::vulnerable().await;
    let alice = vulnerable.token("alice").await;
    let bad_id = vulnerable.get_as("/api/v2/orders/abc", &alice).await;
    assert_eq!(bad_id.status, 500);
    assert!(bad_id.body.starts_with(
        "Traceback (most recent call last):\n  File \"/app/api/orders.py\", line 42, in get_order"
    ));
    assert!(
        bad_id
            .body
            .contains("ValueError: invalid literal for int() with base 10: 'abc'")
    );

    let login = vulnerable.post("/api/v2/login", r#"{"username":}"#).await;
    assert_eq!(login.status, 500);
    assert!(login.body.starts_with("SyntaxError: Unexpected token } in JSON at position 12\n    at JSON.parse (<anonymous>)\n    at parse (/app/node_modules/body-parser/lib/types/json.js:89:19)"), "{}", login.body);
    for (method, path) in [
        ("PUT", "/api/v2/orders/101"),
        ("PATCH", "/api/v2/me"),
        ("POST", "/api/v2/webhooks"),
        ("POST", "/api/v2/assistant"),
    ] {
        let response = vulnerable.call_as(method, path, &alice, "{bad json").await;
        assert_eq!(response.status, 500, "{method} {path}");
        assert!(response.body.contains("at JSON.parse"), "{method} {path}");
    }
    for path in ["/api/v2/register", "/api/v2/products/search"] {
        assert!(
            vulnerable
                .post(path, "{'single':quotes}")
                .await
                .body
                .contains("SyntaxError"),
            "{path}"
        );
    }

    let hardened = Lab::hardened().await;
    let alice = hardened.token("alice").await;
    let bad_id = hardened.get_as("/api/v2/orders/abc", &alice).await;
    assert_eq!(
        (bad_id.status, bad_id.body.as_str()),
        (400, r#"{"error":"invalid request"}"#)
    );
    let login = hardened.post("/api/v2/login", r#"{"username":}"#).await;
    assert_eq!(
        (login.status, login.body.as_str()),
        (400, r#"{"error":"invalid request"}"#)
    );
    for (method, path) in [
        ("PUT", "/api/v2/orders/101"),
        ("PATCH", "/api/v2/me"),
        ("POST", "/api/v2/webhooks"),
        ("POST", "/api/v2/assistant"),
    ] {
        let response = hardened.call_as(method, path, &alice, "{bad json").await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (400, r#"{"error":"invalid request"}"#),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn verbose_errors_on_oversized_bodies() {
    let big = format!(
        r#"{{"username":"{}","password":"x"}}"#,
        "a".repeat(70 * 1024)
    );
    let vulnerable = Lab::vulnerable().await;
    let response = vulnerable.post("/api/v2/login", &big).await;
    assert_eq!(response.status, 500);
    assert!(
        response
            .body
            .starts_with("PayloadTooLargeError: request entity too large\n    at readStream")
    );

    let hardened = Lab::hardened().await;
    for path in [
        "/api/v2/login",
        "/api/v2/register",
        "/api/v2/products/search",
    ] {
        let response = hardened.post(path, &big).await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (413, r#"{"error":"payload too large"}"#),
            "{path}"
        );
    }
}

#[tokio::test]
async fn sql_injection() {
    let vulnerable = Lab::vulnerable().await;
    let count = |response: &super::Resp| response.json()["products"].as_array().map(Vec::len);
    assert_eq!(
        count(&vulnerable.get("/api/v2/products?name=Widget").await),
        Some(1)
    );
    assert_eq!(
        count(
            &vulnerable
                .get("/api/v2/products?name=%27%20OR%20%271%27%3D%271")
                .await
        ),
        Some(4)
    );
    assert_eq!(
        count(
            &vulnerable
                .get("/api/v2/products?name=Widget%27%20AND%20%271%27%3D%272")
                .await
        ),
        Some(0)
    );
    let error = vulnerable.get("/api/v2/products?name=x%27%20x--").await;
    assert_eq!(error.status, 500);
    assert!(
        error
            .body
            .contains("sqlite3.OperationalError: near \"x\": syntax error"),
        "{}",
        error.body
    );
    let quote = vulnerable.get("/api/v2/products?name=%27").await;
    assert_eq!(quote.status, 500);
    assert!(quote.body.contains("sqlite3.OperationalError"));
    let union = vulnerable
        .get("/api/v2/products?name=%27%20UNION%20SELECT%20id%2C%20internal_note%2C%20price%20FROM%20products--")
        .await;
    assert!(union.body.contains("recall pending"), "{}", union.body);

    let hardened = Lab::hardened().await;
    assert_eq!(
        count(&hardened.get("/api/v2/products?name=Widget").await),
        Some(1)
    );
    assert_eq!(count(&hardened.get("/api/v2/products").await), Some(4));
    for payload in [
        "%27%20OR%20%271%27%3D%271",
        "x%27%20x",
        "%27",
        "%27%20UNION%20SELECT%201%2C2%2C3--",
    ] {
        let response = hardened
            .get(&format!("/api/v2/products?name={payload}"))
            .await;
        assert_eq!(
            (response.status, count(&response)),
            (200, Some(0)),
            "{payload}"
        );
        assert!(!response.body.contains("sqlite") && !response.body.contains("syntax"));
    }
}

#[tokio::test]
async fn nosql_injection() {
    let count = |response: &super::Resp| response.json()["products"].as_array().map(Vec::len);
    let vulnerable = Lab::vulnerable().await;
    let search = |body: &'static str| vulnerable.post("/api/v2/products/search", body);
    assert_eq!(
        count(&search(r#"{"filter":{"name":"Gizmo"}}"#).await),
        Some(1)
    );
    assert_eq!(
        count(&search(r#"{"filter":{"name":{"$ne":null}}}"#).await),
        Some(4)
    );
    assert_eq!(
        count(&search(r#"{"filter":{"name":{"$gt":""}}}"#).await),
        Some(4)
    );
    assert_eq!(
        count(&search(r#"{"filter":{"name":{"$regex":".*"}}}"#).await),
        Some(4)
    );
    assert_eq!(
        count(&search(r#"{"filter":{"name":{"$regex":"^g","$options":"i"}}}"#).await),
        Some(2)
    );
    assert_eq!(
        search(r#"{"filter":{"name":{"$where":"1"}}}"#).await.status,
        400
    );

    let hardened = Lab::hardened().await;
    assert_eq!(
        count(
            &hardened
                .post("/api/v2/products/search", r#"{"filter":{"name":"Gizmo"}}"#)
                .await
        ),
        Some(1)
    );
    for body in [
        r#"{"filter":{"name":{"$ne":null}}}"#,
        r#"{"filter":{"name":{"$gt":""}}}"#,
        r#"{"filter":{"name":{"$regex":".*"}}}"#,
        r#"{"filter":{"name":["Gizmo"]}}"#,
        r#"{"filter":{"name":null}}"#,
    ] {
        let response = hardened.post("/api/v2/products/search", body).await;
        assert_eq!(
            (response.status, response.body.as_str()),
            (400, r#"{"error":"invalid filter"}"#),
            "{body}"
        );
    }
}

#[tokio::test]
async fn garbage_input_never_crashes() {
    for lab in [Lab::vulnerable().await, Lab::hardened().await] {
        let token = lab.token("alice").await;
        let auth = format!("Authorization: Bearer {token}\r\n");
        // Invalid UTF-8 and stray percent signs in the query; odd ids.
        let raw_paths: [&[u8]; 6] = [
            b"/api/v2/products?name=%FF%FE%00",
            b"/api/v2/products?name=\xff\xfe",
            b"/api/v2/orders?limit=%FF",
            b"/api/v2/preview?url=%FF%00",
            b"/api/v2/orders/99999999999999999999999999",
            b"/api/v2/users/%F0%9F%92%A9",
        ];
        for path in raw_paths {
            let mut request = b"GET ".to_vec();
            request.extend_from_slice(path);
            request.extend_from_slice(
                format!(" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n").as_bytes(),
            );
            let response = lab.raw(&request).await;
            assert!(response.status < 600, "{}", String::from_utf8_lossy(path));
        }
        let bodies = [
            "",
            "null",
            "[]",
            "42",
            r#"{"username":5,"password":[],"email":{}}"#,
            r#"{"expires_in":1e400,"username":"a","password":"b"}"#,
            r#"{"expires_in":-9223372036854775808,"username":"alice","password":"alice-pass"}"#,
            r#"{"item":123,"amount":"lots"}"#,
            r#"{"amount":1e308,"item":"x"}"#,
            r#"{"filter":"x"}"#,
            r#"{"filter":{"name":{"$in":"notarray"}}}"#,
            r#"{"filter":{"name":{"$regex":"[unclosed"}}}"#,
            r#"{"url":"http://[::1"}"#,
            r#"{"url":"javascript:alert(1)"}"#,
            "\u{0}\u{1}\u{2}",
            &"[".repeat(10_000),
        ];
        for body in bodies {
            for (method, path) in [
                ("POST", "/api/v2/login"),
                ("POST", "/api/v2/register"),
                ("PATCH", "/api/v2/me"),
                ("PUT", "/api/v2/orders/101"),
                ("POST", "/api/v2/products/search"),
                ("POST", "/api/v2/webhooks"),
                ("POST", "/api/v2/assistant"),
            ] {
                let response = lab.call_as(method, path, &token, body).await;
                assert!(response.status < 600, "{method} {path} {body}");
            }
        }
        // Tokens made of junk.
        for junk in ["", "a.b", "....", "Bearer", "%%%", &"x".repeat(9000)] {
            assert_eq!(lab.get_as("/api/v2/me", junk).await.status, 401, "{junk:?}");
        }
        // The lab is still alive.
        assert_eq!(lab.get("/api/v2/health").await.status, 200);
    }
}
