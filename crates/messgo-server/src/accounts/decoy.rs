//! What `prelogin` answers for a username nobody has: KDF parameters that look like
//! some account's. Answering the server's default instead would single out every
//! account made before the default was raised (they answer their own, older
//! parameters, which no unknown name ever would).
//!
//! A decoy is drawn from the parameter sets accounts really have, weighted by how many
//! have each, by a keyed hash of the name: the same name gets the same answer on every
//! call and after a restart, and nobody without the server's secret can tell a decoy
//! from a real account's answer. The mix is read at start and then at most every
//! [`REFRESH_MS`], off the request path; the pick is weighted rendezvous hashing, so a
//! name's decoy changes only when the mix moves towards another set, not with every
//! new account.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use messgo_proto::{KdfParams, Username};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::sql;
use crate::clock::Clock;
use crate::service::ServiceResult;
use crate::store::{Db, StoreError};

/// How often the mix of parameter sets is read again.
const REFRESH_MS: i64 = 10 * 60_000;
/// Shares are kept in thousandths, at least one each, so the mix (and with it a
/// name's decoy) changes only when a share moves by a thousandth or more, and a set
/// that few accounts have still appears among decoys.
const SHARES: u64 = 1000;
/// Where the secret is kept, beside the realm id.
const SECRET_KEY: &str = "prelogin_secret";

pub struct Decoys {
    /// Keys the hash, so only the server can tell which answers are decoys.
    secret: Vec<u8>,
    default_kdf: KdfParams,
    /// The parameter sets and their shares, and when they were read.
    mix: Mutex<(Vec<(KdfParams, u64)>, i64)>,
    refreshing: AtomicBool,
    db: Db,
    clock: Arc<dyn Clock>,
}

impl Decoys {
    /// Reads (or, the first time, makes and stores) the secret, and the mix.
    pub async fn load(
        db: Db,
        clock: Arc<dyn Clock>,
        default_kdf: KdfParams,
    ) -> ServiceResult<Arc<Decoys>> {
        let secret = URL_SAFE_NO_PAD
            .decode(load_secret(&db).await?)
            .map_err(|_| StoreError::Corrupt("the prelogin secret is not base64".into()))?;
        let counts = db_run!(db, read, sql::kdf_counts())?;
        let now = clock.now_ms();
        Ok(Arc::new(Decoys {
            secret,
            mix: Mutex::new((mix(&counts, default_kdf), now)),
            default_kdf,
            refreshing: AtomicBool::new(false),
            db,
            clock,
        }))
    }

    /// The decoy for `username`; reads the mix again (in the background) when due.
    pub fn kdf_for(self: &Arc<Self>, username: &Username) -> KdfParams {
        let now = self.clock.now_ms();
        let (pick, stale) = {
            let mix = self.mix.lock().expect("decoy mix lock");
            (
                pick(&self.secret, username, &mix.0),
                now - mix.1 >= REFRESH_MS,
            )
        };
        if stale && !self.refreshing.swap(true, Ordering::AcqRel) {
            let me = self.clone();
            tokio::spawn(async move { me.refresh(now).await });
        }
        pick.unwrap_or(self.default_kdf)
    }

    async fn refresh(&self, now: i64) {
        match db_run!(self.db, read, sql::kdf_counts()) {
            Ok(counts) => {
                *self.mix.lock().expect("decoy mix lock") = (mix(&counts, self.default_kdf), now);
            }
            // The old mix serves until the next try.
            Err(e) => tracing::warn!(error = %e, "reading the accounts' KDF parameters failed"),
        }
        self.refreshing.store(false, Ordering::Release);
    }
}

/// The stored secret, or a new one stored now. On a disk too full to store it, this
/// run uses one of its own (decoys then differ from the next run's; they still give
/// no account away).
async fn load_secret(db: &Db) -> ServiceResult<String> {
    if let Some(secret) = db_run!(db, read, sql::meta_value(SECRET_KEY))? {
        return Ok(secret);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let candidate = URL_SAFE_NO_PAD.encode(bytes);
    let kept = {
        let candidate = candidate.clone();
        db_run!(db, write, sql::keep_meta_value(SECRET_KEY, &candidate))
    };
    match kept {
        Ok(secret) => Ok(secret),
        Err(StoreError::Full) => {
            tracing::warn!("no room to store the prelogin secret; using one for this run");
            Ok(candidate)
        }
        Err(e) => Err(e.into()),
    }
}

/// Each parameter set's share of the accounts in thousandths, rounded (at least one),
/// the current default always among them.
fn mix(counts: &[(KdfParams, u64)], default_kdf: KdfParams) -> Vec<(KdfParams, u64)> {
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let mut mix: Vec<(KdfParams, u64)> = counts
        .iter()
        .map(|&(kdf, n)| {
            let share = (n.saturating_mul(SHARES) + total / 2) / total.max(1);
            (kdf, share.max(1))
        })
        .collect();
    if !mix.iter().any(|(kdf, _)| *kdf == default_kdf) {
        mix.push((default_kdf, 1));
    }
    mix
}

/// Weighted rendezvous hashing: each set scores `-ln(u) / share` with `u` uniform in
/// (0, 1] from the keyed hash of the name and the set; the lowest score wins. A set
/// wins with probability proportional to its share, and changing one share moves
/// only names to or from that set.
fn pick(secret: &[u8], username: &Username, mix: &[(KdfParams, u64)]) -> Option<KdfParams> {
    let score = |kdf: &KdfParams, share: u64| {
        let mut h = Sha256::new();
        h.update(secret);
        h.update(username.as_str().as_bytes());
        h.update([0]);
        h.update(serde_json::to_vec(kdf).expect("KdfParams always serializes"));
        let digest = h.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        // 53 bits, as many as an f64 holds exactly; +1 keeps u above 0.
        let u = ((u64::from_be_bytes(first) >> 11) + 1) as f64 / (1u64 << 53) as f64;
        -u.ln() / share as f64
    };
    mix.iter()
        .map(|(kdf, share)| (score(kdf, *share), *kdf))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, kdf)| kdf)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(i: usize) -> Username {
        Username::parse(&format!("user_{i}")).unwrap()
    }

    #[test]
    fn decoys_follow_the_shares_and_stay_put_when_they_barely_move() {
        let (old, new) = (KdfParams::pbkdf2(600_000), KdfParams::pbkdf2(900_000));
        let mix_a = mix(&[(old, 300), (new, 100)], new);
        assert_eq!(mix_a, vec![(old, 750), (new, 250)]);
        let picks: Vec<_> = (0..4000).map(|i| pick(b"k", &name(i), &mix_a)).collect();
        let olds = picks.iter().filter(|p| **p == Some(old)).count();
        assert!((2700..3300).contains(&olds), "{olds} of 4000 near 3/4");

        // One more account at the new setting moves its share by a thousandth, and
        // only a few names (to that set).
        let mix_b = mix(&[(old, 300), (new, 101)], new);
        assert_eq!(mix_b, vec![(old, 748), (new, 252)]);
        let again: Vec<_> = (0..4000).map(|i| pick(b"k", &name(i), &mix_b)).collect();
        let moved: Vec<_> = (0..4000).filter(|&i| picks[i] != again[i]).collect();
        assert!(moved.len() < 40, "{} of 4000 moved", moved.len());
        assert!(moved.iter().all(|&i| again[i] == Some(new)));
        let same = mix(&[(old, 3000), (new, 1001)], new);
        assert_eq!(
            same,
            mix(&[(old, 3000), (new, 1000)], new),
            "a smaller step, none"
        );

        // Another secret, other decoys.
        let other: Vec<_> = (0..4000).map(|i| pick(b"j", &name(i), &mix_a)).collect();
        assert_ne!(picks, other);
    }

    #[test]
    fn the_default_is_always_a_candidate() {
        let (old, new) = (KdfParams::pbkdf2(600_000), KdfParams::pbkdf2(900_000));
        assert_eq!(mix(&[(old, 5)], new), vec![(old, 1000), (new, 1)]);
        assert_eq!(mix(&[], new), vec![(new, 1)]);
        assert_eq!(pick(b"k", &name(1), &mix(&[], new)), Some(new));
    }
}
