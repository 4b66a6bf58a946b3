//! Registration, login and account management, with the key handling a browser does.

use messgo_crypto::bundle::{self, IdentitySecrets};
use messgo_crypto::kdf::AccountKeys;
use messgo_proto::{
    ChangePasswordRequest, DeleteAccountRequest, KdfParams, LoginRequest, Me, PreloginRequest,
    PreloginResponse, RegisterRequest, SessionId, SessionList, UserId,
};
use rand::RngCore;
use reqwest::Method;

use crate::{Client, ClientError, Result};

/// A signed-in user's account and unwrapped private keys.
pub struct Identity {
    pub me: Me,
    pub secrets: IdentitySecrets,
}

// Private keys are never printed.
impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("user_id", &self.me.user_id)
            .finish_non_exhaustive()
    }
}

impl Identity {
    pub fn user_id(&self) -> UserId {
        self.me.user_id
    }
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

impl Client {
    /// PBKDF2 is deliberately slow; keep it off the async workers.
    async fn derive(&self, password: &str, username: &str, kdf: KdfParams) -> Result<AccountKeys> {
        if !kdf.is_acceptable() {
            return Err(ClientError::Refused(format!(
                "the server asked for {} KDF iterations; at least {} are required",
                kdf.iterations,
                KdfParams::MIN_ITERATIONS
            )));
        }
        let realm = self.config().await?.realm_id;
        let (password, username) = (password.to_owned(), username.to_ascii_lowercase());
        tokio::task::spawn_blocking(move || {
            AccountKeys::derive(&password, &realm, &username, kdf.iterations)
        })
        .await
        .map_err(|e| ClientError::Refused(format!("key derivation task failed: {e}")))
    }

    pub async fn register(&self, username: &str, password: &str) -> Result<Identity> {
        let kdf = self.config().await?.kdf;
        let keys = self.derive(password, username, kdf).await?;
        self.register_with(
            username,
            kdf,
            keys.auth_key.as_slice(),
            &keys.wrap_key,
            None,
        )
        .await
    }

    /// Registers with an invite code (from an invite link): a user's invite also
    /// makes the new account and its inviter contacts.
    pub async fn register_invited(
        &self,
        username: &str,
        password: &str,
        invite: &str,
    ) -> Result<Identity> {
        let kdf = self.config().await?.kdf;
        let keys = self.derive(password, username, kdf).await?;
        let (auth_key, wrap_key) = (keys.auth_key.as_slice(), &keys.wrap_key);
        self.register_with(username, kdf, auth_key, wrap_key, Some(invite))
            .await
    }

    /// Registers an account that can never sign in again: its auth key is random and
    /// forgotten, and its key bundle is sealed under a random key, so only this
    /// process holds the identity. For load generators and tests, which need many
    /// real accounts without paying the password KDF for each.
    pub async fn register_throwaway(&self, username: &str) -> Result<Identity> {
        let kdf = self.config().await?.kdf;
        self.register_with(username, kdf, &random::<32>(), &random(), None)
            .await
    }

    /// Fresh identity keys, sealed under `wrap_key` and registered with `auth_key`.
    async fn register_with(
        &self,
        username: &str,
        kdf: KdfParams,
        auth_key: &[u8],
        wrap_key: &[u8; 32],
        invite: Option<&str>,
    ) -> Result<Identity> {
        let secrets = IdentitySecrets::generate(&mut rand::rngs::OsRng);
        let user_id = UserId::random();
        let sealed = bundle::seal(wrap_key, user_id.as_bytes(), &secrets, &random());
        let req = RegisterRequest {
            user_id,
            username: username.to_owned(),
            auth_key: auth_key.to_vec().into(),
            kdf,
            key_bundle: sealed.into(),
            x25519_public: secrets.x25519_public().to_vec().into(),
            ed25519_public: secrets.ed25519_public().to_vec().into(),
            invite: invite.map(str::to_owned),
        };
        let me: Me = self.send(Method::POST, "/api/register", &req).await?;
        Ok(Identity { me, secrets })
    }

    pub async fn prelogin(&self, username: &str) -> Result<PreloginResponse> {
        self.send(
            Method::POST,
            "/api/prelogin",
            &PreloginRequest {
                username: username.to_owned(),
            },
        )
        .await
    }

    /// The auth key a password yields for `username`, as the server would check it.
    pub async fn auth_key(&self, username: &str, password: &str) -> Result<Vec<u8>> {
        let kdf = self.prelogin(username).await?.kdf;
        Ok(self
            .derive(password, username, kdf)
            .await?
            .auth_key
            .to_vec())
    }

    pub async fn login(&self, username: &str, password: &str) -> Result<Identity> {
        let kdf = self.prelogin(username).await?.kdf;
        let keys = self.derive(password, username, kdf).await?;
        let req = LoginRequest {
            username: username.to_owned(),
            auth_key: keys.auth_key.to_vec().into(),
        };
        let me: Me = self.send(Method::POST, "/api/login", &req).await?;
        let secrets = bundle::open(
            &keys.wrap_key,
            me.user_id.as_bytes(),
            me.key_bundle.as_slice(),
        )?;
        Ok(Identity { me, secrets })
    }

    pub async fn logout(&self) -> Result<()> {
        self.send_empty(Method::POST, "/api/logout", &serde_json::json!({}))
            .await
    }

    pub async fn me(&self) -> Result<Me> {
        self.get("/api/me").await
    }

    /// Re-derives both keys and re-wraps the bundle under the new password.
    pub async fn change_password(&self, old: &str, new: &str) -> Result<()> {
        let me = self.me().await?;
        let old_keys = self.derive(old, &me.username, me.kdf).await?;
        let secrets = bundle::open(
            &old_keys.wrap_key,
            me.user_id.as_bytes(),
            me.key_bundle.as_slice(),
        )?;
        let new_kdf = self.config().await?.kdf;
        let new_keys = self.derive(new, &me.username, new_kdf).await?;
        let req = ChangePasswordRequest {
            auth_key: old_keys.auth_key.to_vec().into(),
            new_auth_key: new_keys.auth_key.to_vec().into(),
            new_kdf,
            new_key_bundle: bundle::seal(
                &new_keys.wrap_key,
                me.user_id.as_bytes(),
                &secrets,
                &random(),
            )
            .into(),
        };
        self.send_empty(Method::POST, "/api/account/password", &req)
            .await
    }

    pub async fn delete_account(&self, password: &str) -> Result<()> {
        let me = self.me().await?;
        let keys = self.derive(password, &me.username, me.kdf).await?;
        let req = DeleteAccountRequest {
            auth_key: keys.auth_key.to_vec().into(),
        };
        self.send_empty(Method::DELETE, "/api/account", &req).await
    }

    pub async fn sessions(&self) -> Result<SessionList> {
        self.get("/api/sessions").await
    }

    pub async fn revoke_session(&self, id: SessionId) -> Result<()> {
        self.delete(&format!("/api/sessions/{id}")).await
    }
}
