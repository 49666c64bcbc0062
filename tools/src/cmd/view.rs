//! `nsdf view`: the browser viewer (`web/`) and one file, served on 127.0.0.1.

use super::{read_nsdf, CmdResult, Failure};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Serve a shape to the browser viewer on this machine only, until Ctrl-C.
///
/// Prints the address to open. The page (built into this binary from web/) reads the file with
/// its own JavaScript reader and sphere-traces it with WebGL2; a file it cannot read shows the
/// reason instead.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The .nsdf file.
    pub file: PathBuf,
    /// Port on 127.0.0.1 (0: any free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

const INDEX: &str = include_str!("../../../web/index.html");
const VIEWER: &str = include_str!("../../../web/viewer.js");
const READER: &str = include_str!("../../../web/nsdf.js");

/// Longest request head read (a browser's GET is well under 2 KiB).
const MAX_REQUEST: usize = 16 << 10;

pub fn run(args: Args) -> CmdResult {
    let bytes = read_nsdf(&args.file).map_err(|e| Failure::nsdf(&args.file, &e))?;
    // An unreadable file is still served: the page shows the reader's reason, which is what
    // someone debugging a file wants to see. Say so here too.
    if let Err(e) = nsdf::parse(&bytes) {
        eprintln!(
            "nsdf: warning: {}: {e} (the page will show this)",
            args.file.display()
        );
    }
    let listener = TcpListener::bind(("127.0.0.1", args.port)).map_err(|e| {
        Failure::new(format_args!(
            "cannot listen on 127.0.0.1:{}: {e}",
            args.port
        ))
    })?;
    let addr = listener.local_addr().map_err(Failure::new)?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "shape.nsdf".into());
    super::print(&format!(
        "http://{addr}/?url=/shape.nsdf  ({name}; Ctrl-C to stop)\n"
    ))?;
    // A thread per connection: browsers open speculative connections that send nothing, and
    // one of them must not hold up the page (each ends at the read timeout). A bad request only
    // ends itself.
    let bytes = std::sync::Arc::new(bytes);
    for stream in listener.incoming().flatten() {
        let bytes = bytes.clone();
        std::thread::spawn(move || serve(stream, &bytes));
    }
    Ok(ExitCode::SUCCESS)
}

fn serve(mut s: TcpStream, shape: &[u8]) -> std::io::Result<()> {
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = String::new();
    let mut reader = BufReader::new((&s).take(MAX_REQUEST as u64));
    reader.read_line(&mut head)?;
    // Drain the header lines (bounded by MAX_REQUEST above).
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = head.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let (status, kind, body): (&str, &str, &[u8]) = match (method, path) {
        ("GET", "/" | "/index.html") => ("200 OK", "text/html; charset=utf-8", INDEX.as_bytes()),
        ("GET", "/viewer.js") => ("200 OK", "text/javascript", VIEWER.as_bytes()),
        ("GET", "/nsdf.js") => ("200 OK", "text/javascript", READER.as_bytes()),
        ("GET", "/shape.nsdf") => ("200 OK", "application/octet-stream", shape),
        ("GET", _) => ("404 Not Found", "text/plain", b"not found\n"),
        _ => ("405 Method Not Allowed", "text/plain", b"only GET\n"),
    };
    write!(
        s,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    s.write_all(body)?;
    s.flush()
}
