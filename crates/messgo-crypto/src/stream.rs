//! Attachments: AES-256-GCM in the STREAM construction, 64 KiB chunks (docs/crypto.md,
//! "Attachments").
//!
//! The nonces are RustCrypto's own `aead::stream::StreamBE32` (prefix || BE32(i) ||
//! last flag), used through `StreamPrimitive::{encrypt,decrypt}_in_place(position,
//! last, ..)` rather than its `Encryptor`/`Decryptor`: those only go forward, and a
//! resumed upload must seal chunk `i` again on its own. No nonce is built here.
//!
//! Both sides hold one chunk at a time: [`Sealer::seal_chunk`] seals any chunk by its
//! index (random access, for resuming), and [`Opener`] takes the stream in pieces of any
//! size, holding back one sealed chunk until it knows whether that one is the last.

use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use aes_gcm::aead::KeyInit;
use aes_gcm::Aes256Gcm;

use crate::CryptoError;

/// The stream's first byte.
pub const VERSION: u8 = 0x01;
/// Version byte and nonce prefix, before the first sealed chunk.
pub const HEADER_LEN: usize = 1 + PREFIX_LEN;
pub const PREFIX_LEN: usize = 7;
pub const KEY_LEN: usize = 32;
/// Plaintext bytes per chunk (the last one may be shorter).
pub const CHUNK_LEN: usize = 65_536;
pub const TAG_LEN: usize = 16;
/// A full chunk once sealed: what a reader takes at a time.
pub const SEALED_CHUNK_LEN: usize = CHUNK_LEN + TAG_LEN;

pub(crate) type Stream = StreamBE32<Aes256Gcm>;

pub(crate) fn stream(key: &[u8; KEY_LEN], prefix: &[u8; PREFIX_LEN]) -> Stream {
    Stream::from_aead(
        Aes256Gcm::new(GenericArray::from_slice(key)),
        GenericArray::from_slice(prefix),
    )
}

/// How many chunks a plaintext of `len` bytes makes: at least one, so an empty file
/// still has a last chunk that says where it ends.
pub fn chunk_count(len: u64) -> u64 {
    len.div_ceil(CHUNK_LEN as u64).max(1)
}

/// The stream's length for a plaintext of `len` bytes: `8 + len + 16·n`.
pub fn stream_len(len: u64) -> u64 {
    HEADER_LEN as u64 + len + TAG_LEN as u64 * chunk_count(len)
}

/// Where stream byte `offset` lies: `None` inside the header, else the chunk that holds
/// it and how far into that sealed chunk it is. A resumed upload seals that chunk again
/// and sends it from there.
pub fn locate(offset: u64) -> Option<(u64, usize)> {
    let body = offset.checked_sub(HEADER_LEN as u64)?;
    let sealed = SEALED_CHUNK_LEN as u64;
    let within = usize::try_from(body % sealed).expect("below 65552");
    Some((body / sealed, within))
}

/// Seals the chunks of one plaintext of known length, in any order.
pub struct Sealer {
    stream: Stream,
    prefix: [u8; PREFIX_LEN],
    len: u64,
    chunks: u64,
}

impl Sealer {
    /// Fails (`Malformed`) when `len` needs more chunks than a 32-bit index counts
    /// (256 TiB).
    pub fn new(
        key: &[u8; KEY_LEN],
        prefix: [u8; PREFIX_LEN],
        len: u64,
    ) -> Result<Self, CryptoError> {
        let chunks = chunk_count(len);
        if chunks > u64::from(u32::MAX) + 1 {
            return Err(CryptoError::Malformed);
        }
        Ok(Sealer {
            stream: stream(key, &prefix),
            prefix,
            len,
            chunks,
        })
    }

    /// The stream's first 8 bytes.
    pub fn header(&self) -> [u8; HEADER_LEN] {
        let mut h = [VERSION; HEADER_LEN];
        h[1..].copy_from_slice(&self.prefix);
        h
    }

    pub fn chunks(&self) -> u64 {
        self.chunks
    }

    /// The plaintext bytes chunk `index` holds: where it starts and how long it is.
    pub fn chunk_span(&self, index: u64) -> Option<(u64, usize)> {
        if index >= self.chunks {
            return None;
        }
        let start = index * CHUNK_LEN as u64;
        let len = (self.len - start).min(CHUNK_LEN as u64);
        Some((start, usize::try_from(len).expect("at most 65536")))
    }

    /// Seals chunk `index` in place: `buf` holds its plaintext (exactly
    /// [`Sealer::chunk_span`]'s length, else `Malformed`) and then its sealed form.
    pub fn seal_chunk(&self, index: u64, buf: &mut Vec<u8>) -> Result<(), CryptoError> {
        let (_, len) = self.chunk_span(index).ok_or(CryptoError::Malformed)?;
        if buf.len() != len {
            return Err(CryptoError::Malformed);
        }
        let position = u32::try_from(index).map_err(|_| CryptoError::Malformed)?;
        let last = index + 1 == self.chunks;
        self.stream
            .encrypt_in_place(position, last, &[], buf)
            .map_err(|_| CryptoError::Malformed)
    }
}

/// Opens a stream handed over in pieces of any size.
pub struct Opener {
    key: [u8; KEY_LEN],
    header: Vec<u8>,
    stream: Option<Stream>,
    /// The sealed chunk being gathered; opened once a byte beyond it arrives (so it is
    /// not the last) or at [`Opener::finish`] (as the last).
    piece: Vec<u8>,
    next: u32,
    /// Set after a failure or past a 2^32nd chunk: everything after is refused.
    broken: bool,
}

impl Opener {
    pub fn new(key: &[u8; KEY_LEN]) -> Self {
        Opener {
            key: *key,
            header: Vec::with_capacity(HEADER_LEN),
            stream: None,
            piece: Vec::with_capacity(SEALED_CHUNK_LEN),
            next: 0,
            broken: false,
        }
    }

    /// Takes the next bytes of the stream and returns the plaintext of the chunks now
    /// known not to be the last (so at most one chunk more than `input` holds); fails on
    /// a wrong version or a chunk that does not open, and on every call after that.
    pub fn push(&mut self, mut input: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::new();
        while !input.is_empty() {
            if self.broken {
                return Err(CryptoError::Decrypt);
            }
            if self.stream.is_none() {
                input = self.take_header(input)?;
                continue;
            }
            if self.piece.len() == SEALED_CHUNK_LEN {
                // A byte follows this chunk, so it is not the last.
                let plain = self.open_piece(false)?;
                out.extend_from_slice(plain);
                self.piece.clear();
            }
            let n = input.len().min(SEALED_CHUNK_LEN - self.piece.len());
            self.piece.extend_from_slice(&input[..n]);
            input = &input[n..];
        }
        Ok(out)
    }

    /// The stream has ended: opens the piece held back as the last chunk. Fails when
    /// the stream stopped before its last chunk (cut off, or no chunk at all).
    pub fn finish(mut self) -> Result<Vec<u8>, CryptoError> {
        if self.broken || self.stream.is_none() || self.piece.len() < TAG_LEN {
            return Err(CryptoError::Decrypt);
        }
        self.open_piece(true)?;
        Ok(std::mem::take(&mut self.piece))
    }

    fn take_header<'a>(&mut self, input: &'a [u8]) -> Result<&'a [u8], CryptoError> {
        let n = input.len().min(HEADER_LEN - self.header.len());
        self.header.extend_from_slice(&input[..n]);
        if self.header.first().is_some_and(|v| *v != VERSION) {
            self.broken = true;
            return Err(CryptoError::Decrypt);
        }
        if self.header.len() == HEADER_LEN {
            let prefix: [u8; PREFIX_LEN] =
                self.header[1..].try_into().expect("the header is 8 bytes");
            self.stream = Some(stream(&self.key, &prefix));
        }
        Ok(&input[n..])
    }

    /// Opens the gathered piece as chunk `next`, in place, and steps on.
    fn open_piece(&mut self, last: bool) -> Result<&[u8], CryptoError> {
        let stream = self.stream.as_ref().ok_or(CryptoError::Decrypt)?;
        let opened = stream.decrypt_in_place(self.next, last, &[], &mut self.piece);
        // A stream of 2^32 chunks has its last at index u32::MAX: nothing may follow.
        let stepped = self.next.checked_add(1);
        match (opened, stepped) {
            (Ok(()), Some(next)) => self.next = next,
            (Ok(()), None) if last => {}
            (Ok(()) | Err(_), _) => {
                self.broken = true;
                return Err(CryptoError::Decrypt);
            }
        }
        Ok(&self.piece)
    }
}

/// The whole stream of `plaintext` at once (tests, vectors, small attachments).
pub fn seal(key: &[u8; KEY_LEN], prefix: [u8; PREFIX_LEN], plaintext: &[u8]) -> Vec<u8> {
    let len = u64::try_from(plaintext.len()).expect("a length fits u64");
    let sealer = Sealer::new(key, prefix, len).expect("an in-memory plaintext has few chunks");
    let mut out = Vec::with_capacity(usize::try_from(stream_len(len)).unwrap_or(0));
    out.extend_from_slice(&sealer.header());
    let mut buf = Vec::with_capacity(SEALED_CHUNK_LEN);
    for i in 0..sealer.chunks() {
        let (start, n) = sealer.chunk_span(i).expect("i is below the count");
        let start = usize::try_from(start).expect("inside the plaintext");
        buf.clear();
        buf.extend_from_slice(&plaintext[start..start + n]);
        sealer
            .seal_chunk(i, &mut buf)
            .expect("the span's length is the chunk's");
        out.extend_from_slice(&buf);
    }
    out
}

/// Opens a whole stream at once.
pub fn open(key: &[u8; KEY_LEN], stream: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut opener = Opener::new(key);
    let mut out = opener.push(stream)?;
    out.extend_from_slice(&opener.finish()?);
    Ok(out)
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
