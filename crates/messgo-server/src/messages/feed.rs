//! One socket's place in each chat: every chat's messages go out on a socket
//! strictly in sequence order and once, whatever the interleaving of live traffic,
//! resumes and reconnects.
//!
//! Live messages reach a socket from the order stage, but a socket cannot always
//! pass them straight on: before the client has said where it stands, after a
//! resume that starts further back, and after a gap (a message given up on by the
//! order stage, or dropped by a bus). Then the chat *catches up*: its live messages
//! are dropped, only the newest dropped number remembered, and the database is read
//! page by page after the last message sent until it holds everything dropped; then
//! the chat is live again. Nothing is queued, so a socket's memory stays bounded
//! however far behind it is: a page at a time, and one number per chat.
//!
//! Until the client's first frame, chats' messages are held back the same way (the
//! first and newest held number kept), because a client that resumes must not get
//! live messages before the older ones it asks for. The first frame decides: a
//! `resume` names where each chat starts; the rest catch up from the first message
//! held back. So a client that opens a socket and pings gets everything from the
//! moment the socket opened, and one that resumes gets everything after its points.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, VecDeque};

use messgo_proto::{ChatId, Message, ResumePoints};

use crate::bus::{Shared, Step};

/// Most chats one socket keeps a place in; a resume that would go past it is
/// refused. A user's own chats are far fewer; this bounds what resumes naming
/// chats that do not exist can cost.
pub const MAX_FEED_CHATS: usize = 10_000;

/// Live messages of the chat being read kept while the read runs, at most: if they
/// cover what was dropped after the read's snapshot, the chat goes live with them
/// instead of reading again (in a busy chat, something always arrives mid-read).
const OVERTAKEN_MAX: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the client's first frame: messages `first..=newest` were held back.
    Held { first: i64, newest: i64 },
    /// Everything after `from` up to `last` went out; the next live message should
    /// be `last + 1`.
    Live { from: i64, last: i64 },
    /// Everything after `from` up to `last` went out; the database is read after
    /// `last` until it reaches `newest`, the newest live message dropped meanwhile.
    CatchingUp { from: i64, last: i64, newest: i64 },
}

/// What the socket should read next: a page of `chat` after `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Read {
    pub chat: ChatId,
    pub after: i64,
    /// The newest dropped number when the read began: anything dropped later may
    /// have been committed after the read's snapshot.
    newest: i64,
}

/// A resume that named a point before where this socket already started the chat:
/// what it sent began after `from`, and it cannot go back without sending out of
/// order. The client reads `(point, from]` from the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behind {
    pub chat: ChatId,
    pub from: i64,
}

#[derive(Debug, Default)]
pub struct Feed {
    started: bool,
    chats: HashMap<ChatId, Place>,
    /// Chats waiting for a read, in turn.
    behind: VecDeque<ChatId>,
    /// The read under way, and live messages of its chat that came after its snapshot.
    reading: Option<Read>,
    overtaken: Vec<Shared>,
}

impl Feed {
    /// Whether the socket passes this frame on; chat frames only in their place.
    /// An ack always goes (it answers the client's own send, and may so come before
    /// earlier messages of a chat that is catching up), and moves the chat's place
    /// like the message it stands for.
    pub fn pass(&mut self, step: Option<Step>) -> bool {
        let Some(Step { chat, seq, ack }) = step else {
            return true;
        };
        let started = self.started;
        let place = match self.chats.entry(chat) {
            Entry::Vacant(v) => {
                v.insert(if started {
                    Place::Live {
                        from: seq.saturating_sub(1),
                        last: seq,
                    }
                } else {
                    Place::Held {
                        first: seq,
                        newest: seq,
                    }
                });
                return started || ack;
            }
            Entry::Occupied(o) => o.into_mut(),
        };
        match place {
            Place::Live { last, .. } if seq <= *last => ack,
            Place::Live { last, .. } if seq == last.saturating_add(1) => {
                *last = seq;
                true
            }
            Place::Live { from, last } => {
                *place = Place::CatchingUp {
                    from: *from,
                    last: *last,
                    newest: seq,
                };
                self.behind.push_back(chat);
                ack
            }
            Place::Held { first, newest } => {
                // Late messages (a hole given up on) may arrive below the first.
                *first = (*first).min(seq);
                *newest = (*newest).max(seq);
                ack
            }
            Place::CatchingUp { newest, .. } => {
                *newest = (*newest).max(seq);
                ack
            }
        }
    }

    /// The client's frame arrived; `points` if it is a resume. The first frame ends
    /// the holding back. Refuses (and changes nothing) past [`MAX_FEED_CHATS`].
    /// Returns the chats whose point lies before where this socket already started
    /// them.
    pub fn client_frame(
        &mut self,
        points: Option<&ResumePoints>,
    ) -> Result<Vec<Behind>, TooManyChats> {
        let mut late = Vec::new();
        if let Some(points) = points {
            let new = points
                .keys()
                .filter(|c| !self.chats.contains_key(c))
                .count();
            if self.chats.len() + new > MAX_FEED_CHATS {
                return Err(TooManyChats);
            }
            for (&chat, &after) in points {
                if let Some(behind) = self.resume(chat, after) {
                    late.push(behind);
                }
            }
        }
        if !self.started {
            self.started = true;
            for (chat, place) in &mut self.chats {
                if let Place::Held { first, newest } = *place {
                    let from = first.saturating_sub(1);
                    *place = Place::CatchingUp {
                        from,
                        last: from,
                        newest,
                    };
                    self.behind.push_back(*chat);
                }
            }
        }
        Ok(late)
    }

    /// The client has everything of `chat` up to `after`: what follows goes out, and
    /// nothing this socket already sent goes again.
    fn resume(&mut self, chat: ChatId, after: i64) -> Option<Behind> {
        match self.chats.entry(chat) {
            Entry::Vacant(v) => {
                v.insert(Place::CatchingUp {
                    from: after,
                    last: after,
                    newest: after,
                });
                self.behind.push_back(chat);
                None
            }
            Entry::Occupied(mut o) => match o.get_mut() {
                Place::Held { newest, .. } => {
                    let newest = *newest;
                    o.insert(Place::CatchingUp {
                        from: after,
                        last: after,
                        newest,
                    });
                    self.behind.push_back(chat);
                    None
                }
                Place::Live { from, .. } | Place::CatchingUp { from, .. } if after < *from => {
                    Some(Behind { chat, from: *from })
                }
                Place::Live { last, .. } | Place::CatchingUp { last, .. } => {
                    *last = (*last).max(after);
                    None
                }
            },
        }
    }

    /// Keeps a live message [`pass`](Self::pass) dropped if it belongs to the chat
    /// being read and came after the read's snapshot (up to [`OVERTAKEN_MAX`]).
    pub fn overtaking(&mut self, frame: &Shared) {
        let (Some(read), Some(step)) = (self.reading, frame.step) else {
            return;
        };
        if step.chat == read.chat
            && !step.ack
            && step.seq > read.newest
            && self.overtaken.len() < OVERTAKEN_MAX
        {
            self.overtaken.push(frame.clone());
        }
    }

    /// The next page to read, if a chat is behind and no read is under way.
    pub fn next_read(&mut self) -> Option<Read> {
        if self.reading.is_some() {
            return None;
        }
        while let Some(chat) = self.behind.pop_front() {
            if let Some(&Place::CatchingUp { last, newest, .. }) = self.chats.get(&chat) {
                let read = Read {
                    chat,
                    after: last,
                    newest,
                };
                self.reading = Some(read);
                return Some(read);
            }
        }
        None
    }

    /// Takes a page read for `read` (`None`: the chat is not the user's, or no
    /// longer) and returns what goes out, in order: the page's messages, then live
    /// frames that overtook the read, if they close the gap. `full` says the page was
    /// as long as asked for, so more may follow.
    pub fn page(
        &mut self,
        read: Read,
        page: Option<Vec<Message>>,
        full: bool,
    ) -> (Vec<Message>, Vec<Shared>) {
        self.reading = None;
        let mut overtaken = std::mem::take(&mut self.overtaken);
        let Some(page) = page else {
            self.chats.remove(&read.chat);
            return (Vec::new(), Vec::new());
        };
        let Some(Place::CatchingUp { from, last, newest }) = self.chats.get_mut(&read.chat) else {
            return (Vec::new(), Vec::new());
        };
        let out: Vec<Message> = page.into_iter().filter(|m| m.seq > *last).collect();
        if let Some(m) = out.last() {
            *last = m.seq;
        }
        let (from, mut last, newest) = (*from, *last, *newest);
        let mut live = Vec::new();
        if !full && newest > read.newest.max(last) {
            // Dropped after the snapshot: the frames kept meanwhile may close the gap.
            overtaken.sort_by_key(|f| f.step.map_or(0, |s| s.seq));
            let mut next = last;
            for frame in overtaken {
                let seq = frame.step.map_or(0, |s| s.seq);
                if seq == next.saturating_add(1) {
                    next = seq;
                    live.push(frame);
                }
            }
            // What follows on without a hole goes out; a read covers the rest.
            last = next;
        }
        if full || newest > read.newest.max(last) {
            // More to read, or something was dropped after this read's snapshot.
            self.behind.push_back(read.chat);
            if let Some(Place::CatchingUp { last: l, .. }) = self.chats.get_mut(&read.chat) {
                *l = last;
            }
        } else {
            // Everything dropped was committed before the read began (what it did
            // not return has expired or gone with its chat), or overtook it and goes
            // now.
            self.chats.insert(
                read.chat,
                Place::Live {
                    from,
                    last: last.max(newest),
                },
            );
        }
        (out, live)
    }
}

/// A resume would have the socket keep a place in more than [`MAX_FEED_CHATS`] chats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyChats;

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
