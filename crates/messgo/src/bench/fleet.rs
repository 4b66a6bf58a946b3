//! The generator's sockets: each one a writer task (frames queued by the scenario,
//! written in batches and flushed when the queue runs dry) and a reader task that
//! classifies frames and reports them to the shared [`Tracker`].

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::saturating;
use super::wire::{self, Incoming, Login, Peer};
use super::BenchError;

/// What one measured run (a rate step, a fan-out, a reconnect) has seen so far.
/// Messages carry the run's tag in the high half of their id and their index in the
/// low half, so a frame's intended send time is known without a lookup table.
pub struct Run {
    pub tag: u64,
    pub start: Instant,
    /// Nanoseconds between intended sends (open loop).
    pub interval_ns: f64,
    /// Deliveries from intended send to arrival, in microseconds.
    pub deliver: Histogram<u64>,
    /// Acks from intended send to arrival, in microseconds.
    pub ack: Histogram<u64>,
    pub acked: u64,
    pub refused: u64,
    pub delivered: u64,
    pub last_delivery: Option<Instant>,
    pub last_ack: Option<Instant>,
    /// Sockets the server closed as too slow to read (close code 1013) during the
    /// run: a real client would reconnect and resume what it missed, the generator
    /// counts it lost. It tells a generator that fell behind from a server that lost.
    pub cut_off: u64,
}

impl Run {
    fn new(tag: u64, start: Instant, interval_ns: f64) -> Run {
        let hist = || Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid bounds");
        Run {
            tag,
            start,
            interval_ns,
            deliver: hist(),
            ack: hist(),
            acked: 0,
            refused: 0,
            delivered: 0,
            last_delivery: None,
            last_ack: None,
            cut_off: 0,
        }
    }

    fn intended(&self, index: u64) -> Instant {
        let nanos = saturating::f64_to_u64(index as f64 * self.interval_ns);
        self.start + std::time::Duration::from_nanos(nanos)
    }
}

/// What a frame counts as in a run.
enum Counted {
    Ack,
    Refused,
    Delivered,
}

/// The one run being measured.
#[derive(Default)]
pub struct Tracker {
    run: Mutex<Option<Run>>,
}

impl Tracker {
    pub fn begin(&self, tag: u64, start: Instant, interval_ns: f64) {
        *self.run.lock().expect("tracker lock") = Some(Run::new(tag, start, interval_ns));
    }

    pub fn finish(&self) -> Run {
        self.run
            .lock()
            .expect("tracker lock")
            .take()
            .expect("a run was begun")
    }

    /// Reads the current run's counts.
    pub fn peek<T>(&self, f: impl FnOnce(&Run) -> T) -> Option<T> {
        self.run.lock().expect("tracker lock").as_ref().map(f)
    }

    fn cut_off(&self) {
        if let Some(run) = self.run.lock().expect("tracker lock").as_mut() {
            run.cut_off += 1;
        }
    }

    pub(crate) fn record(&self, event: &Incoming, counts_deliveries: bool, now: Instant) {
        let (id, kind) = match event {
            Incoming::Ack(id) => (id, Counted::Ack),
            Incoming::Refused(id) => (id, Counted::Refused),
            Incoming::Delivered(id) if counts_deliveries => (id, Counted::Delivered),
            Incoming::Delivered(_) | Incoming::Ping | Incoming::Other => return,
        };
        let (tag, index) = id.as_u64_pair();
        let mut guard = self.run.lock().expect("tracker lock");
        let Some(run) = guard.as_mut().filter(|r| r.tag == tag) else {
            return;
        };
        let waited = now.saturating_duration_since(run.intended(index));
        // Saturating, as the histograms record: no wait reaches u64::MAX microseconds.
        let micros = u64::try_from(waited.as_micros()).unwrap_or(u64::MAX);
        match kind {
            Counted::Ack => {
                run.acked += 1;
                run.last_ack = Some(now);
                run.ack.saturating_record(micros.max(1));
            }
            Counted::Refused => run.refused += 1,
            Counted::Delivered => {
                run.delivered += 1;
                run.last_delivery = Some(now);
                run.deliver.saturating_record(micros.max(1));
            }
        }
    }
}

/// A message id for index `index` of the run tagged `tag`.
pub fn message_id(tag: u64, index: u64) -> Uuid {
    Uuid::from_u64_pair(tag, index)
}

/// One open socket of the generator.
pub struct Conn {
    pub out: mpsc::UnboundedSender<Message>,
    reader: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
    /// The reader never ends on its own (a Synapse sync loop): closing aborts it.
    abort_reader: bool,
}

impl Conn {
    /// Opens a socket for `login`; deliveries to it count only if `counts_deliveries`
    /// (a sender's own echo of its message is not a delivery to a recipient).
    pub async fn open(
        peer: Peer,
        login: &Login,
        tracker: Arc<Tracker>,
        counts_deliveries: bool,
        frames_seen: Arc<std::sync::atomic::AtomicU64>,
    ) -> Result<Conn, BenchError> {
        if let Login::Synapse(account) = login {
            return crate::bench::synapse::conn::open(
                account,
                tracker,
                counts_deliveries,
                frames_seen,
            )
            .await;
        }
        let ws = wire::open(login).await?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut queue) = mpsc::unbounded_channel::<Message>();
        // Weak, so dropping `out` still ends the writer (and with it the socket).
        let pong = out.downgrade();
        let writer = tokio::spawn(async move {
            while let Some(first) = queue.recv().await {
                if sink.feed(first).await.is_err() {
                    return;
                }
                // Everything already queued goes out in the same write.
                while let Ok(next) = queue.try_recv() {
                    if sink.feed(next).await.is_err() {
                        return;
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        let reader = tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let text = match msg {
                    Message::Text(text) => text,
                    Message::Close(Some(close)) if close.code == CloseCode::Again => {
                        tracker.cut_off();
                        continue;
                    }
                    Message::Binary(_)
                    | Message::Ping(_)
                    | Message::Pong(_)
                    | Message::Close(_)
                    | Message::Frame(_) => continue,
                };
                let event = peer.classify(&text);
                frames_seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if event == Incoming::Ping {
                    if let Some(pong) = pong.upgrade() {
                        let _ = pong.send(Message::Text("3".into()));
                    }
                    continue;
                }
                tracker.record(&event, counts_deliveries, Instant::now());
            }
        });
        Ok(Conn::from_tasks(out, reader, writer, false))
    }

    /// A connection made of a queue, its writer and a reader task.
    pub fn from_tasks(
        out: mpsc::UnboundedSender<Message>,
        reader: tokio::task::JoinHandle<()>,
        writer: tokio::task::JoinHandle<()>,
        abort_reader: bool,
    ) -> Conn {
        Conn {
            out,
            reader,
            writer,
            abort_reader,
        }
    }

    /// Closes the socket from this side and waits until both halves have ended.
    pub async fn close(self) {
        let Conn {
            out,
            reader,
            writer,
            abort_reader,
        } = self;
        drop(out);
        let _ = writer.await;
        if abort_reader {
            reader.abort();
        }
        // The server answers our close; the reader then sees the end of the stream.
        let _ = reader.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_socket_cut_off_counts_against_the_run_it_happened_in() {
        let tracker = Tracker::default();
        tracker.cut_off();
        tracker.begin(7, Instant::now(), 1_000.0);
        tracker.cut_off();
        tracker.cut_off();
        assert_eq!(
            tracker.finish().cut_off,
            2,
            "one before the run is not counted"
        );
        tracker.begin(8, Instant::now(), 1_000.0);
        assert_eq!(tracker.finish().cut_off, 0);
    }

    #[test]
    fn ids_carry_tag_and_index() {
        let id = message_id(0xABCD, 42);
        assert_eq!(id.as_u64_pair(), (0xABCD, 42));
    }

    #[test]
    fn latency_is_counted_from_the_intended_send_time() {
        let t = Tracker::default();
        let start = Instant::now();
        t.begin(5, start, 1_000_000.0); // one message per millisecond
        let id = message_id(5, 10); // intended at start + 10 ms
        t.record(
            &Incoming::Delivered(id),
            true,
            start + std::time::Duration::from_millis(15),
        );
        t.record(
            &Incoming::Delivered(id),
            false,
            start + std::time::Duration::from_millis(15),
        );
        t.record(&Incoming::Ack(message_id(6, 1)), true, start); // another run: ignored
        let run = t.finish();
        assert_eq!(run.delivered, 1);
        assert_eq!(run.acked, 0);
        let p = run.deliver.value_at_quantile(1.0);
        assert!((4_990..=5_010).contains(&p), "{p}");
    }
}
