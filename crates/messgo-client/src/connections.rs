//! Connection requests, contacts, blocks and the profile.

use messgo_proto::{
    BlockBody, BlocksResponse, ConnectKeyResponse, ConnectionRequestBody, Contact,
    ContactsResponse, Profile, RequestId, RequestSent, RequestsResponse, UserId,
};
use reqwest::Method;
use serde_json::json;

use crate::{Client, Result};

impl Client {
    pub async fn connect_key(&self) -> Result<ConnectKeyResponse> {
        self.get("/api/connect-key").await
    }

    pub async fn rotate_connect_key(&self) -> Result<ConnectKeyResponse> {
        self.send(Method::POST, "/api/connect-key/rotate", &json!({}))
            .await
    }

    pub async fn request_by_username(&self, username: &str) -> Result<RequestSent> {
        let body = ConnectionRequestBody {
            username: Some(username.to_owned()),
            connect_key: None,
        };
        self.send(Method::POST, "/api/connections/requests", &body)
            .await
    }

    pub async fn request_by_key(&self, key: &str) -> Result<RequestSent> {
        let body = ConnectionRequestBody {
            username: None,
            connect_key: Some(key.to_owned()),
        };
        self.send(Method::POST, "/api/connections/requests", &body)
            .await
    }

    pub async fn requests(&self) -> Result<RequestsResponse> {
        self.get("/api/connections/requests").await
    }

    pub async fn accept(&self, id: RequestId) -> Result<Contact> {
        self.send(
            Method::POST,
            &format!("/api/connections/requests/{id}/accept"),
            &json!({}),
        )
        .await
    }

    pub async fn decline(&self, id: RequestId) -> Result<()> {
        self.send_empty(
            Method::POST,
            &format!("/api/connections/requests/{id}/decline"),
            &json!({}),
        )
        .await
    }

    pub async fn block_request(&self, id: RequestId) -> Result<()> {
        self.send_empty(
            Method::POST,
            &format!("/api/connections/requests/{id}/block"),
            &json!({}),
        )
        .await
    }

    pub async fn cancel_request(&self, id: RequestId) -> Result<()> {
        self.delete(&format!("/api/connections/requests/{id}"))
            .await
    }

    pub async fn contacts(&self) -> Result<Vec<Contact>> {
        Ok(self
            .get::<ContactsResponse>("/api/contacts")
            .await?
            .contacts)
    }

    pub async fn user(&self, id: UserId) -> Result<Contact> {
        self.get(&format!("/api/users/{id}")).await
    }

    pub async fn remove_contact(&self, id: UserId) -> Result<()> {
        self.delete(&format!("/api/contacts/{id}")).await
    }

    pub async fn block(&self, id: UserId) -> Result<()> {
        self.send_empty(Method::POST, "/api/blocks", &BlockBody { user_id: id })
            .await
    }

    pub async fn unblock(&self, id: UserId) -> Result<()> {
        self.delete(&format!("/api/blocks/{id}")).await
    }

    pub async fn blocks(&self) -> Result<BlocksResponse> {
        self.get("/api/blocks").await
    }

    pub async fn set_profile(&self, name: Option<&str>, bio: Option<&str>) -> Result<Profile> {
        let body = Profile {
            display_name: name.map(str::to_owned),
            bio: bio.map(str::to_owned),
        };
        self.send(Method::PUT, "/api/profile", &body).await
    }

    pub async fn set_avatar(&self, image: Vec<u8>) -> Result<()> {
        let res = self
            .go(self
                .http
                .put(format!("{}/api/profile/avatar", self.base))
                .header(messgo_proto::CSRF_HEADER, "1")
                .body(image))
            .await?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(crate::api_error(res).await)
    }

    pub async fn avatar(&self, user: UserId) -> Result<Vec<u8>> {
        let res = self
            .go(self
                .http
                .get(format!("{}/api/users/{user}/avatar", self.base)))
            .await?;
        if !res.status().is_success() {
            return Err(crate::api_error(res).await);
        }
        Ok(res.bytes().await?.to_vec())
    }
}
