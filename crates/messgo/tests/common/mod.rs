//! Starting servers as a user would, shared by the binary's tests.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_messgo");

/// Spawns `cmd` with its stdout piped and waits for the line that says where it
/// listens (`… http://host:port …`, or https:// with built-in TLS); returns the process and that URL. Stderr is
/// left as the caller set it.
pub fn start(mut cmd: Command) -> (Child, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    // Borrowed, not taken: the pipe stays open for whatever the server prints next.
    let mut out = BufReader::new(child.stdout.as_mut().expect("stdout was piped"));
    let mut line = String::new();
    while !line.contains("http://") && !line.contains("https://") {
        line.clear();
        assert!(
            out.read_line(&mut line).expect("the server's stdout reads") > 0,
            "the server ended before saying where it listens"
        );
    }
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .expect("the loop above ends on a line with a URL")
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .to_owned();
    (child, url)
}
