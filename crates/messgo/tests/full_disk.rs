//! A server restarted on a disk that is still full starts read-only and says so:
//! history is served, every change answers `storage_full`, `/api/ready` answers 503
//! with `"database":"full","disk":"low"` (the free-space threshold is set below the
//! tmpfs's size, as an operator sets it below the disk's),
//! and writing resumes by itself once there is room. A real full disk: a 4 MiB
//! tmpfs mounted in a private mount namespace (`unshare -m`), which the servers
//! join with `nsenter`; a junk file fills it.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use messgo_client::{is_api_error, Client, Keyring};
use messgo_proto::ChatKind;
use reqwest::StatusCode;

mod common;

use common::BIN;
const PASSWORD: &str = "correct horse battery staple";

/// A mount namespace holding a small tmpfs at `dir`, alive while the holder runs.
struct SmallDisk {
    holder: Child,
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount() -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let script = format!(
            "mount -t tmpfs -o size=4m tmpfs '{}' && echo mounted && exec sleep 600",
            dir.path().display()
        );
        let mut holder = Command::new("unshare")
            .args(["--mount", "--propagation", "private", "sh", "-c", &script])
            .stdout(Stdio::piped())
            .spawn()
            .expect("unshare runs (the tests run as root, as CI does)");
        let mut line = String::new();
        BufReader::new(holder.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "mounted", "a tmpfs needs root: {line}");
        SmallDisk { holder, dir }
    }

    /// `program` run inside the namespace, where the tmpfs is mounted.
    fn inside(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.args(["-t", &self.holder.id().to_string(), "-m", "--", program]);
        cmd
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills the disk to the last byte (the writer stops at ENOSPC).
    fn fill(&self) {
        let junk = self.path().join("junk");
        let status = self
            .inside("sh")
            .args(["-c", &format!("cat /dev/zero > '{}'", junk.display())])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(!status.success(), "cat stops only when the disk is full");
    }

    fn free(&self) {
        let junk = self.path().join("junk");
        assert!(self.inside("rm").arg(junk).status().unwrap().success());
    }

    fn serve(&self) -> (Child, String) {
        let mut cmd = self.inside(BIN);
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(self.path())
            .env("MESSGO_KDF_ITERATIONS", "100000")
            .env("MESSGO_LOG", "warn")
            // Every write while full tries the writer again, so the test needs no
            // waiting for the retry's timer.
            .env("MESSGO_FULL_DISK_RETRY", "0s")
            // The 4 MiB disk is below the default threshold even when empty.
            .env("MESSGO_READY_MIN_FREE_DISK", "64KiB")
            .stderr(Stdio::piped());
        common::start(cmd)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

fn stop(mut server: Child, signal: &str) -> String {
    let status = Command::new("kill")
        .args([signal, &server.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    server.wait().unwrap();
    let mut log = String::new();
    server
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    log
}

async fn ready(url: &str) -> (StatusCode, serde_json::Value) {
    let res = reqwest::get(format!("{url}/api/ready")).await.unwrap();
    (res.status(), res.json().await.unwrap())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn a_restart_on_a_full_disk_serves_read_only_until_there_is_room() {
    let disk = SmallDisk::mount();
    let (server, url) = disk.serve();
    let (ann, ben) = (Client::new(&url).unwrap(), Client::new(&url).unwrap());
    let ann_id = ann.register("ann", PASSWORD).await.unwrap();
    let ben_id = ben.register("ben", PASSWORD).await.unwrap();
    ann.request_by_username("ben").await.unwrap();
    ben.accept(ben.requests().await.unwrap().incoming[0].id)
        .await
        .unwrap();
    let chat = ann.chats().await.unwrap();
    let chat = chat.iter().find(|c| c.kind == ChatKind::Direct).unwrap().id;
    let mut keys = Keyring::new(&ann_id);
    keys.send_text(&ann, chat, "before the disk filled", now_ms())
        .await
        .unwrap();

    // The disk fills under a running server that is then killed (its WAL left
    // behind), or fills while the server is stopped cleanly (no WAL): both restart
    // read-only.
    let mut server = Some(server);
    for (crash, how) in [(true, "after a crash"), (false, "after a clean stop")] {
        let log = if crash {
            disk.fill();
            stop(server.take().unwrap(), "-KILL")
        } else {
            let log = stop(server.take().unwrap(), "-TERM");
            disk.fill();
            log
        };
        assert!(
            !log.contains("read-only"),
            "it was not read-only before: {log}"
        );
        let (restarted, url) = disk.serve();
        let (ann, ben) = (ann.with_base(&url), ben.with_base(&url));
        let (status, body) = ready(&url).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{how}: not ready for a message: {body}"
        );
        assert_eq!(
            (&body["status"], &body["database"], &body["disk"]),
            (&"not_ready".into(), &"full".into(), &"low".into()),
            "{how}"
        );
        let history = ben.messages(chat, None, None, 50).await.unwrap();
        assert!(
            history.iter().any(|m| m.sender == Some(ann_id.user_id())),
            "{how}: history is served"
        );
        let refused = keys
            .send_text(&ann, chat, "while full", now_ms())
            .await
            .unwrap_err();
        assert!(
            is_api_error(&refused, StatusCode::SERVICE_UNAVAILABLE, "storage_full"),
            "{how}: {refused}"
        );

        // A retry while still full fails and says storage_full again, never
        // anything else.
        let again = keys
            .send_text(&ann, chat, "still full", now_ms())
            .await
            .unwrap_err();
        assert!(
            is_api_error(&again, StatusCode::SERVICE_UNAVAILABLE, "storage_full"),
            "{how}, a retry while full: {again}"
        );

        // Room again: sends from both at once get through, one of them reopening
        // the writer while the other waits for it.
        disk.free();
        let mut ben_keys = Keyring::new(&ben_id);
        let (a, b) = tokio::join!(
            keys.send_text(&ann, chat, "room again", now_ms()),
            ben_keys.send_text(&ben, chat, "room again too", now_ms()),
        );
        let stored = [a.unwrap().id, b.unwrap().id];
        assert_eq!(ready(&url).await.1["status"], "ready", "{how}");
        // What is written now is read back (the readers see the new writer's commits).
        let history = ben.messages(chat, None, None, 50).await.unwrap();
        for id in stored {
            assert!(
                history.iter().any(|m| m.id == id),
                "{how}: what was stored after the reopen is read back"
            );
        }
        let log = stop(restarted, "-TERM");
        assert!(
            log.contains("serving read-only"),
            "{how}, it says so: {log}"
        );
        server = Some(disk.serve().0);
    }
    stop(server.take().unwrap(), "-TERM");
}
