//! `nsdf view` serves the viewer and the file on 127.0.0.1 only, answers unknown paths with 404,
//! and still serves a file it cannot read (the page shows why), saying so on stderr. The page
//! itself is tested in a browser by web/test/browser.test.mjs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

const VALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/vectors/valid/davies-int8.nsdf"
);
const INVALID: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../spec/vectors/invalid/E008-chunk-checksum.nsdf"
);

/// The server, killed on drop.
struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(file: &str) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(["view", file, "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .strip_prefix("http://")
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");
    Server(child, addr)
}

/// Status line and body of `METHOD path`.
fn get(s: &Server, method: &str, path: &str) -> (String, Vec<u8>) {
    let mut c = TcpStream::connect(&s.1).unwrap();
    write!(c, "{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&all[..split]).into_owned();
    (
        head.lines().next().unwrap().to_string(),
        all[split + 4..].to_vec(),
    )
}

#[test]
fn serves_the_page_and_the_file_and_nothing_else() {
    let s = start(VALID);
    let (status, body) = get(&s, "GET", "/?url=/shape.nsdf");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(String::from_utf8_lossy(&body).contains("viewer.js"));
    for path in ["/viewer.js", "/nsdf.js"] {
        let (status, body) = get(&s, "GET", path);
        assert_eq!(status, "HTTP/1.1 200 OK", "{path}");
        assert!(String::from_utf8_lossy(&body).contains("export"), "{path}");
    }
    let (status, body) = get(&s, "GET", "/shape.nsdf");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, std::fs::read(VALID).unwrap());
    for path in ["/../Cargo.toml", "/etc/passwd", "/web/index.html"] {
        assert_eq!(get(&s, "GET", path).0, "HTTP/1.1 404 Not Found", "{path}");
    }
    assert_eq!(
        get(&s, "POST", "/shape.nsdf").0,
        "HTTP/1.1 405 Method Not Allowed"
    );
}

#[test]
fn an_unreadable_file_is_served_with_a_warning() {
    let mut s = start(INVALID);
    let (status, body) = get(&s, "GET", "/shape.nsdf");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, std::fs::read(INVALID).unwrap());
    let _ = s.0.kill();
    let mut err = String::new();
    s.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("NSDF-E008"), "{err}");
}

#[test]
fn a_missing_file_is_an_error() {
    let o = Command::new(env!("CARGO_BIN_EXE_nsdf"))
        .args(["view", "/nonexistent/x.nsdf"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("x.nsdf"));
}
