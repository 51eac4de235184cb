//! A request as a WASI command sees it, and its standard output as the response: CGI (RFC 3875)
//! the way WAGI and Spin's WAGI executor apply it to WebAssembly.
//!
//! The body is the guest's standard input; `REQUEST_METHOD`, `QUERY_STRING`, `PATH_INFO`,
//! `CONTENT_TYPE`, `CONTENT_LENGTH` and an `HTTP_*` variable per header are in its environment;
//! the query's `&`-separated parts, percent-decoded, follow the function's own arguments. The
//! guest answers on standard output: CGI headers (`Content-Type`, `Status`, `Location`, others)
//! and a blank line, then the body. Output that does not begin with CGI headers is the body
//! itself, as plain text, so that any WASI command serves unchanged.
use hyper::http::{HeaderName, HeaderValue, StatusCode, request::Parts};
use percent_encoding::percent_decode_str;

/// The CGI variables of a request to `function`, whose route matched `script_name`.
pub fn variables(
    parts: &Parts,
    script_name: &str,
    path_info: &str,
    body_length: usize,
    remote: std::net::SocketAddr,
    local: std::net::SocketAddr,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("GATEWAY_INTERFACE".into(), "CGI/1.1".into()),
        (
            "SERVER_SOFTWARE".into(),
            format!("wasmfaas/{}", env!("CARGO_PKG_VERSION")),
        ),
        ("SERVER_PROTOCOL".into(), format!("{:?}", parts.version)),
        ("SERVER_NAME".into(), local.ip().to_string()),
        ("SERVER_PORT".into(), local.port().to_string()),
        ("REMOTE_ADDR".into(), remote.ip().to_string()),
        ("REMOTE_PORT".into(), remote.port().to_string()),
        ("REQUEST_METHOD".into(), parts.method.as_str().into()),
        ("SCRIPT_NAME".into(), script_name.into()),
        ("PATH_INFO".into(), path_info.into()),
        (
            "QUERY_STRING".into(),
            parts.uri.query().unwrap_or("").into(),
        ),
        ("X_FULL_URL".into(), parts.uri.to_string()),
    ];
    if body_length > 0 {
        env.push(("CONTENT_LENGTH".into(), body_length.to_string()));
    }
    for (name, value) in &parts.headers {
        let Ok(value) = value.to_str() else { continue };
        let variable = match name.as_str() {
            "content-type" => "CONTENT_TYPE".to_owned(),
            // The gateway gives the length of the body it read, not the client's claim.
            "content-length" => continue,
            other => format!("HTTP_{}", other.to_ascii_uppercase().replace('-', "_")),
        };
        env.push((variable, value.to_owned()));
    }
    env
}

/// The arguments the query adds: its `&`-separated parts, percent-decoded (`+` is a space).
pub fn query_args(query: Option<&str>) -> Vec<String> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            percent_decode_str(&part.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// A response a guest's standard output makes.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status: 200, or the `Status:` header's, or 302 for a bare `Location:`.
    pub status: StatusCode,
    /// The headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Vec<u8>,
}

/// The most bytes of CGI headers looked for at the start of the output.
const MAX_HEADER_BLOCK: usize = 16 << 10;

/// Reads a guest's standard output as a CGI response.
pub fn reply(stdout: Vec<u8>) -> Result<Reply, String> {
    match header_block(&stdout) {
        Some((block, body_start)) => parse_headers(block, stdout[body_start..].to_vec()),
        None => Ok(Reply {
            status: StatusCode::OK,
            headers: vec![(
                hyper::header::CONTENT_TYPE,
                HeaderValue::from_static(if std::str::from_utf8(&stdout).is_ok() {
                    "text/plain; charset=utf-8"
                } else {
                    "application/octet-stream"
                }),
            )],
            body: stdout,
        }),
    }
}

/// The CGI header block at the start of `output` and where the body starts, when the output
/// begins with one: header lines up to a blank line, among them one of the three CGI requires
/// (`Content-Type`, `Location`, `Status`).
fn header_block(output: &[u8]) -> Option<(&str, usize)> {
    let window = &output[..output.len().min(MAX_HEADER_BLOCK)];
    let (end, body_start) = [&b"\r\n\r\n"[..], b"\n\n"]
        .iter()
        .filter_map(|blank| {
            window
                .windows(blank.len())
                .position(|w| w == *blank)
                .map(|at| (at, at + blank.len()))
        })
        .min()?;
    let block = std::str::from_utf8(&output[..end]).ok()?;
    let mut has_cgi_header = false;
    for line in block.lines() {
        let (name, _) = line.split_once(':')?;
        if name.is_empty() || HeaderName::from_bytes(name.as_bytes()).is_err() {
            return None;
        }
        has_cgi_header |=
            ["content-type", "location", "status"].contains(&name.to_ascii_lowercase().as_str());
    }
    has_cgi_header.then_some((block, body_start))
}

fn parse_headers(block: &str, body: Vec<u8>) -> Result<Reply, String> {
    let mut status = None;
    let mut headers = Vec::new();
    for line in block.lines() {
        let (name, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().unwrap_or("");
            status = Some(
                code.parse::<u16>()
                    .ok()
                    .and_then(|c| StatusCode::from_u16(c).ok())
                    .ok_or_else(|| format!("its Status header {value:?} is not an HTTP status"))?,
            );
            continue;
        }
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("its header name {name:?} is not valid"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("its header {name} has an invalid value {value:?}"))?;
        if name == hyper::header::LOCATION && status.is_none() {
            status = Some(StatusCode::FOUND);
        }
        headers.push((name, value));
    }
    Ok(Reply {
        status: status.unwrap_or(StatusCode::OK),
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_with_cgi_headers_makes_the_status_headers_and_body() {
        let reply =
            reply(b"Status: 201 Created\r\nContent-Type: text/csv\r\nX-A: b\r\n\r\na,b\n".to_vec())
                .unwrap();
        assert_eq!(reply.status, StatusCode::CREATED);
        assert_eq!(reply.body, b"a,b\n");
        let names: Vec<_> = reply
            .headers
            .iter()
            .map(|(n, v)| format!("{n}={}", v.to_str().unwrap()))
            .collect();
        assert_eq!(names, ["content-type=text/csv", "x-a=b"]);
        assert_eq!(
            super::reply(b"Location: /x\n\n".to_vec()).unwrap().status,
            StatusCode::FOUND
        );
    }

    #[test]
    fn output_without_cgi_headers_is_the_body_as_plain_text() {
        for output in [
            &b"Hello, world!\n"[..],
            b"Result: 42\n\nmore",
            b"x-only: 1\n\nbody",
            b"",
        ] {
            let reply = reply(output.to_vec()).unwrap();
            assert_eq!(
                (reply.status, reply.body.as_slice()),
                (StatusCode::OK, output)
            );
            assert_eq!(reply.headers[0].1, "text/plain; charset=utf-8");
        }
        assert_eq!(
            reply(vec![0xff, 0xfe]).unwrap().headers[0].1,
            "application/octet-stream"
        );
    }

    #[test]
    fn a_bad_status_is_an_error_naming_it() {
        let error = reply(b"Status: soon\n\n".to_vec()).unwrap_err();
        assert!(error.contains("\"soon\""), "{error}");
    }

    #[test]
    fn the_query_adds_decoded_arguments() {
        assert_eq!(
            query_args(Some("a&b%20c&d+e&&x=1")),
            ["a", "b c", "d e", "x=1"]
        );
        assert!(query_args(None).is_empty());
    }
}
