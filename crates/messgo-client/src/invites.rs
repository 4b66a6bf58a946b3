//! Invite links: make one, list yours, revoke one.

use messgo_proto::{CreateInvite, CreatedInvite, InviteId, InviteInfo, InvitesResponse};
use reqwest::Method;

use crate::{Client, Result};

impl Client {
    /// A new invite for `uses` sign-ups lasting `expires_in_secs` (the server's
    /// defaults where None); its code is in this answer only.
    pub async fn create_invite(
        &self,
        uses: Option<u32>,
        expires_in_secs: Option<i64>,
    ) -> Result<CreatedInvite> {
        let body = CreateInvite {
            uses,
            expires_in_secs,
        };
        self.send(Method::POST, "/api/invites", &body).await
    }

    pub async fn invites(&self) -> Result<Vec<InviteInfo>> {
        let list: InvitesResponse = self.get("/api/invites").await?;
        Ok(list.invites)
    }

    pub async fn revoke_invite(&self, id: InviteId) -> Result<()> {
        self.delete(&format!("/api/invites/{id}")).await
    }
}
