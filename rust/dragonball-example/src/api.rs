//! The API's requests and replies: one HTTP/1.x request per connection
//! (`GET /vm`, `POST /exec`, `PUT /shutdown`), a plain-text reply, then
//! the server closes.  Parsing is pure, for the unit tests.

/// Longest request taken (request line and headers).
pub const MAX_REQUEST: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// The VM's state, vCPU count and serial output so far.
    GetVm,
    /// A task attempts execve("/bin/true"): what the sandbox refuses.
    PostExec,
    /// Ends the process (exit status 0).
    PutShutdown,
}

const ENDPOINTS: &str = "GET /vm, POST /exec, PUT /shutdown";

/// Whether `buf` holds a whole request head (a blank line ends it).
pub fn complete(buf: &[u8]) -> bool {
    buf.windows(4).any(|w| w == b"\r\n\r\n") || buf.windows(2).any(|w| w == b"\n\n")
}

/// The request in `buf` (its head, maybe cut at the end of the stream),
/// or what is wrong with it, for a 4xx reply: (status, message).
pub fn parse(buf: &[u8]) -> Result<Request, (u16, String)> {
    let bad = |msg: String| Err((400, msg));
    if buf.is_empty() {
        return bad("empty request: expected a request line such as 'GET /vm HTTP/1.1'".into());
    }
    let end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let Ok(line) = std::str::from_utf8(&buf[..end]) else {
        return bad("request line is not UTF-8".into());
    };
    let line = line.trim_end_matches('\r');
    let words: Vec<&str> = line.split(' ').collect();
    let (method, path) = match words.as_slice() {
        [m, p] => (*m, *p),
        [m, p, v] if v.starts_with("HTTP/1.") => (*m, *p),
        [_, _, v] => {
            return bad(format!(
                "request line '{}': version '{}' is not HTTP/1.x",
                shown(line),
                shown(v)
            ))
        }
        _ => {
            return bad(format!(
                "request line '{}': expected 'METHOD PATH [HTTP/1.x]'",
                shown(line)
            ))
        }
    };
    let want = match path {
        "/vm" => ("GET", Request::GetVm),
        "/exec" => ("POST", Request::PostExec),
        "/shutdown" => ("PUT", Request::PutShutdown),
        _ => {
            return Err((
                404,
                format!("no endpoint '{}' (there are {ENDPOINTS})", shown(path)),
            ))
        }
    };
    if method != want.0 {
        return Err((
            405,
            format!(
                "'{} {}': {} takes {} (there are {ENDPOINTS})",
                shown(method),
                path,
                path,
                want.0
            ),
        ));
    }
    Ok(want.1)
}

/// At most 80 characters of what the client sent, control characters
/// escaped, for an error message.
fn shown(s: &str) -> String {
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().count() > 80 {
        out.push_str("...");
    }
    out
}

/// A whole reply.
pub fn reply(status: u16, body: &str) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        _ => "Internal Server Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(parse(b"GET /vm HTTP/1.1\r\n\r\n"), Ok(Request::GetVm));
        assert_eq!(parse(b"POST /exec\n\n"), Ok(Request::PostExec));
        assert_eq!(
            parse(b"PUT /shutdown HTTP/1.0\r\nHost: x\r\n\r\n"),
            Ok(Request::PutShutdown)
        );
        assert!(complete(b"GET /vm\r\n\r\n") && complete(b"GET /vm\n\n"));
        assert!(!complete(b"GET /vm\r\n"));
    }

    #[test]
    fn malformed_requests_say_what_is_wrong() {
        let e = parse(b"").unwrap_err();
        assert_eq!(e.0, 400);
        assert!(e.1.contains("empty request"), "{}", e.1);
        let e = parse(b"hello\r\n\r\n").unwrap_err();
        assert_eq!(e.0, 400);
        assert!(
            e.1.contains("'hello'") && e.1.contains("METHOD PATH"),
            "{}",
            e.1
        );
        let e = parse(b"GET /vm SPDY/3\r\n\r\n").unwrap_err();
        assert!(e.1.contains("'SPDY/3'"), "{}", e.1);
        let e = parse(b"GET /nothing HTTP/1.1\r\n\r\n").unwrap_err();
        assert_eq!(e.0, 404);
        assert!(
            e.1.contains("'/nothing'") && e.1.contains("GET /vm"),
            "{}",
            e.1
        );
        let e = parse(b"GET /exec\n\n").unwrap_err();
        assert_eq!(e.0, 405);
        assert!(e.1.contains("/exec takes POST"), "{}", e.1);
        let e = parse(b"\xff\xfe /vm\n\n").unwrap_err();
        assert!(e.1.contains("not UTF-8"), "{}", e.1);
        let e = parse(b"GET\t/vm\x01\n\n").unwrap_err();
        assert!(e.1.contains("\\t") && e.1.contains("\\u{1}"), "{}", e.1);
    }

    #[test]
    fn replies_carry_their_length() {
        let r = String::from_utf8(reply(404, "no")).unwrap();
        assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(r.contains("Content-Length: 2\r\n") && r.ends_with("\r\n\r\nno"));
    }
}
