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

use crate::bus::Step;

/// Most chats one socket keeps a place in; a resume that would go past it is
/// refused. A user's own chats are far fewer; this bounds what resumes naming
/// chats that do not exist can cost.
pub const MAX_FEED_CHATS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Before the client's first frame: messages `first..=newest` were held back.
    Held { first: i64, newest: i64 },
    /// Everything up to `last` went out; the next live message should be `last + 1`.
    Live { last: i64 },
    /// Reading from the database after `last` until it reaches `newest`, the newest
    /// live message dropped meanwhile.
    CatchingUp { last: i64, newest: i64 },
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

#[derive(Debug, Default)]
pub struct Feed {
    started: bool,
    chats: HashMap<ChatId, Place>,
    /// Chats waiting for a read, in turn.
    behind: VecDeque<ChatId>,
    reading: bool,
}

impl Feed {
    /// Whether the socket passes this frame on; chat frames only in their place.
    /// An ack always goes (it answers the client's own send), and moves the chat's
    /// place like the message it stands for.
    pub fn pass(&mut self, step: Option<Step>) -> bool {
        let Some(Step { chat, seq, ack }) = step else {
            return true;
        };
        let started = self.started;
        let place = match self.chats.entry(chat) {
            Entry::Vacant(v) => {
                v.insert(if started {
                    Place::Live { last: seq }
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
            Place::Live { last } if seq <= *last => ack,
            Place::Live { last } if seq == *last + 1 => {
                *last = seq;
                true
            }
            Place::Live { last } => {
                *place = Place::CatchingUp {
                    last: *last,
                    newest: seq,
                };
                self.behind.push_back(chat);
                ack
            }
            Place::Held { newest, .. } | Place::CatchingUp { newest, .. } => {
                *newest = (*newest).max(seq);
                ack
            }
        }
    }

    /// The client's frame arrived; `points` if it is a resume. The first frame ends
    /// the holding back. Refuses (and changes nothing) past [`MAX_FEED_CHATS`].
    pub fn client_frame(&mut self, points: Option<&ResumePoints>) -> Result<(), TooManyChats> {
        if let Some(points) = points {
            let new = points
                .keys()
                .filter(|c| !self.chats.contains_key(c))
                .count();
            if self.chats.len() + new > MAX_FEED_CHATS {
                return Err(TooManyChats);
            }
            for (&chat, &after) in points {
                self.resume(chat, after);
            }
        }
        if !self.started {
            self.started = true;
            for (chat, place) in &mut self.chats {
                if let Place::Held { first, newest } = *place {
                    *place = Place::CatchingUp {
                        last: first - 1,
                        newest,
                    };
                    self.behind.push_back(*chat);
                }
            }
        }
        Ok(())
    }

    /// The client has everything of `chat` up to `after`: what follows goes out, and
    /// nothing this socket already sent goes again.
    fn resume(&mut self, chat: ChatId, after: i64) {
        match self.chats.entry(chat) {
            Entry::Vacant(v) => {
                v.insert(Place::CatchingUp {
                    last: after,
                    newest: after,
                });
                self.behind.push_back(chat);
            }
            Entry::Occupied(mut o) => match o.get_mut() {
                Place::Held { newest, .. } => {
                    let newest = *newest;
                    o.insert(Place::CatchingUp {
                        last: after,
                        newest,
                    });
                    self.behind.push_back(chat);
                }
                Place::Live { last } | Place::CatchingUp { last, .. } => {
                    *last = (*last).max(after);
                }
            },
        }
    }

    /// The next page to read, if a chat is behind and no read is under way.
    pub fn next_read(&mut self) -> Option<Read> {
        if self.reading {
            return None;
        }
        while let Some(chat) = self.behind.pop_front() {
            if let Some(&Place::CatchingUp { last, newest }) = self.chats.get(&chat) {
                self.reading = true;
                return Some(Read {
                    chat,
                    after: last,
                    newest,
                });
            }
        }
        None
    }

    /// Takes a page read for `read` (`None`: the chat is not the user's, or no
    /// longer) and returns what goes out, in order. `full` says the page was as long
    /// as asked for, so more may follow.
    pub fn page(&mut self, read: Read, page: Option<Vec<Message>>, full: bool) -> Vec<Message> {
        self.reading = false;
        let Some(page) = page else {
            self.chats.remove(&read.chat);
            return Vec::new();
        };
        let Some(Place::CatchingUp { last, newest }) = self.chats.get_mut(&read.chat) else {
            return Vec::new();
        };
        let out: Vec<Message> = page.into_iter().filter(|m| m.seq > *last).collect();
        if let Some(m) = out.last() {
            *last = m.seq;
        }
        let (last, newest) = (*last, *newest);
        if full || newest > read.newest.max(last) {
            // More to read, or something was dropped after this read's snapshot.
            self.behind.push_back(read.chat);
        } else {
            // Everything dropped was committed before the read began; what it did
            // not return has expired or gone with its chat.
            self.chats.insert(
                read.chat,
                Place::Live {
                    last: last.max(newest),
                },
            );
        }
        out
    }
}

/// A resume would have the socket keep a place in more than [`MAX_FEED_CHATS`] chats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManyChats;

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
