//! The workloads: seeding users and channels over the API, and what each connection sends.
//!
//! Connection `i` works on user `i % users`, so with as many users as connections no two
//! connections write to one user, as with independent clients in production.

use crate::load::{Call, Connection, Script};
use crate::reference::{self, CHANNELS_PER_USER};
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use clap::ValueEnum;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A workload, named as on the command line and in the results.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// PATCH `is_primary: true` on each of a user's channels in turn (each demotes the previous
    /// primary), with the secret server key.
    PatchServer,
    /// The same PATCH as the user itself (`me`), with the publishable client key and an access
    /// token: the token's signature is on the path.
    PatchClient,
    /// GET the list of one user's 5 channels, with the server key.
    List,
    /// GET the project-wide list in pages of 5, each connection following `next_cursor` to the
    /// end and starting over, while one more connection creates and deletes channels (its
    /// requests are not counted, its errors are).
    ListPaged,
    /// POST a channel, then DELETE it; each counts as a request.
    CreateDelete,
    /// 80% GET list, 20% PATCH, with the server key.
    Mixed,
}

impl Workload {
    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::PatchServer => "patch-server",
            Workload::PatchClient => "patch-client",
            Workload::List => "list",
            Workload::ListPaged => "list-paged",
            Workload::CreateDelete => "create-delete",
            Workload::Mixed => "mixed",
        }
    }
}

/// The lines the real server prints on an empty database, which seeding needs.
pub const PROJECT_KEYS: [&str; 3] = [
    "STACK_PROJECT_ID",
    "STACK_SECRET_SERVER_KEY",
    "STACK_PUBLISHABLE_CLIENT_KEY",
];

/// A seeded user as the load generator needs it.
pub struct User {
    pub id: String,
    pub channels: Vec<String>,
    /// An access token of the user (none for the reference, which reads no headers).
    pub access_token: Option<String>,
}

/// Everything the connections share: the users and the ready-made header sets.
pub struct Seed {
    pub users: Vec<User>,
    /// Scripts made so far, to give each one its own created values.
    scripts: AtomicUsize,
    server_headers: HeaderMap,
    client_headers: HeaderMap,
}

fn header(value: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(value).with_context(|| format!("{value:?} is not a header value"))
}

impl Seed {
    /// The reference's users (their ids are computed, not created) with the real server's
    /// header set, so both receive requests of the same size.
    pub fn reference(users: usize) -> Seed {
        let placeholder = "0".repeat(64);
        let users = (0..users)
            .map(|u| User {
                id: reference::user_id(u).to_string(),
                channels: (0..CHANNELS_PER_USER)
                    .map(|c| reference::channel_id(u, c).to_string())
                    .collect(),
                access_token: None,
            })
            .collect();
        let server_headers = server_headers(
            &uuid::Uuid::nil().to_string(),
            &format!("ssk_{placeholder}"),
        )
        .expect("valid placeholder headers");
        Seed {
            users,
            server_headers,
            client_headers: HeaderMap::new(),
            scripts: AtomicUsize::new(0),
        }
    }

    /// Creates `users` users with 5 channels each and an access token each on the real server,
    /// with the project keys it printed.
    pub async fn create(
        addr: SocketAddr,
        env: &std::collections::HashMap<String, String>,
        users: usize,
    ) -> Result<Seed> {
        let var = |name: &str| {
            env.get(name).with_context(|| {
                format!("the server printed no {name}= line (not a fresh database?)")
            })
        };
        let project_id = var("STACK_PROJECT_ID")?;
        let server_headers = server_headers(project_id, var("STACK_SECRET_SERVER_KEY")?)?;
        let mut client_headers = HeaderMap::new();
        client_headers.insert("x-stack-project-id", header(project_id)?);
        client_headers.insert("x-stack-access-type", HeaderValue::from_static("client"));
        client_headers.insert(
            "x-stack-publishable-client-key",
            header(var("STACK_PUBLISHABLE_CLIENT_KEY")?)?,
        );
        client_headers.insert("content-type", HeaderValue::from_static("application/json"));
        let mut connection = Connection::open(addr).await?;
        let mut post = async |uri: &str, body: Value| -> Result<Value> {
            let call = Call {
                method: Method::POST,
                uri: uri.to_owned(),
                headers: server_headers.clone(),
                body: Bytes::from(body.to_string()),
            };
            let (status, body) = connection.send(call).await?;
            if !status.is_success() {
                bail!(
                    "seeding: POST {uri} answered {status}: {}",
                    String::from_utf8_lossy(&body)
                );
            }
            Ok(serde_json::from_slice(&body)?)
        };
        let mut seeded = Vec::with_capacity(users);
        for u in 0..users {
            let user = post("/api/v1/users", json!({})).await?;
            let id = string(&user, "id")?;
            let mut channels = Vec::with_capacity(CHANNELS_PER_USER);
            for c in 0..CHANNELS_PER_USER {
                let channel = post(
                    "/api/v1/contact-channels",
                    json!({
                        "user_id": id,
                        "value": reference::channel_value(u, c),
                        "type": "email",
                        "used_for_auth": false,
                        "is_primary": c == 0,
                    }),
                )
                .await?;
                channels.push(string(&channel, "id")?);
            }
            let session = post("/api/v1/auth/sessions", json!({ "user_id": id })).await?;
            seeded.push(User {
                id,
                channels,
                access_token: Some(string(&session, "access_token")?),
            });
        }
        Ok(Seed {
            users: seeded,
            server_headers,
            client_headers,
            scripts: AtomicUsize::new(0),
        })
    }

    /// The script of connection `i` for `workload`.
    pub fn script(self: &Arc<Self>, workload: Workload, i: usize) -> Box<dyn Script> {
        Box::new(ConnectionScript {
            seed: self.clone(),
            workload,
            user: i % self.users.len(),
            count: 0,
            patches: 0,
            created: None,
            cursor: None,
            prefix: format!(
                "bench-script-{:06}",
                self.scripts.fetch_add(1, Ordering::Relaxed)
            ),
        })
    }
}

fn server_headers(project_id: &str, key: &str) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    headers.insert("x-stack-project-id", header(project_id)?);
    headers.insert("x-stack-access-type", HeaderValue::from_static("server"));
    headers.insert("x-stack-secret-server-key", header(key)?);
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    Ok(headers)
}

fn string(value: &Value, field: &str) -> Result<String> {
    value[field]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no string {field:?} in {value}"))
}

/// What one connection sends for one workload.
struct ConnectionScript {
    seed: Arc<Seed>,
    workload: Workload,
    user: usize,
    count: u64,
    /// PATCHes sent, to pick the next channel to make primary.
    patches: usize,
    /// The channel the last POST of create+delete created, to delete next.
    created: Option<String>,
    /// Where the next page of a paged list starts (none: at the start).
    cursor: Option<String>,
    /// Makes this script's created values unique across warm-up and measurement.
    prefix: String,
}

/// The page size of `list-paged`: as many channels as a user's list holds.
const PAGE: usize = CHANNELS_PER_USER;

/// The PATCH body: 18 bytes, the same for the reference.
const MAKE_PRIMARY: &str = r#"{"is_primary":true}"#;

impl ConnectionScript {
    fn patch(&mut self, client: bool) -> Call {
        let user = &self.seed.users[self.user];
        let channel = &user.channels[self.patches % user.channels.len()];
        self.patches += 1;
        let (user_id, headers) = match (client, &user.access_token) {
            (true, Some(token)) => {
                let mut headers = self.seed.client_headers.clone();
                headers.insert(
                    "x-stack-access-token",
                    HeaderValue::from_str(token).expect("a token is a header value"),
                );
                ("me", headers)
            }
            _ => (user.id.as_str(), self.seed.server_headers.clone()),
        };
        Call {
            method: Method::PATCH,
            uri: format!("/api/v1/contact-channels/{user_id}/{channel}"),
            headers,
            body: Bytes::from_static(MAKE_PRIMARY.as_bytes()),
        }
    }

    fn list(&self) -> Call {
        Call {
            method: Method::GET,
            uri: format!(
                "/api/v1/contact-channels?user_id={}",
                self.seed.users[self.user].id
            ),
            headers: self.seed.server_headers.clone(),
            body: Bytes::new(),
        }
    }

    fn page(&self) -> Call {
        let cursor = self
            .cursor
            .as_ref()
            .map(|cursor| format!("&cursor={cursor}"))
            .unwrap_or_default();
        Call {
            method: Method::GET,
            uri: format!("/api/v1/contact-channels?limit={PAGE}{cursor}"),
            headers: self.seed.server_headers.clone(),
            body: Bytes::new(),
        }
    }

    fn create_or_delete(&mut self) -> Call {
        let user = &self.seed.users[self.user].id;
        match self.created.take() {
            Some(channel) => Call {
                method: Method::DELETE,
                uri: format!("/api/v1/contact-channels/{user}/{channel}"),
                headers: self.seed.server_headers.clone(),
                body: Bytes::new(),
            },
            None => Call {
                method: Method::POST,
                uri: "/api/v1/contact-channels".into(),
                headers: self.seed.server_headers.clone(),
                body: Bytes::from(
                    json!({
                        "user_id": user,
                        "value": format!("{}-{}@example.com", self.prefix, self.count),
                        "type": "email",
                        "used_for_auth": false,
                        "is_primary": false,
                    })
                    .to_string(),
                ),
            },
        }
    }
}

impl Script for ConnectionScript {
    fn next(&mut self) -> Call {
        let call = match self.workload {
            Workload::PatchServer => self.patch(false),
            Workload::PatchClient => self.patch(true),
            Workload::List => self.list(),
            Workload::ListPaged => self.page(),
            Workload::CreateDelete => self.create_or_delete(),
            Workload::Mixed if self.count % 5 == 4 => self.patch(false),
            Workload::Mixed => self.list(),
        };
        self.count += 1;
        call
    }

    fn observe(&mut self, status: StatusCode, body: &Bytes) {
        if self.workload == Workload::CreateDelete && status == StatusCode::CREATED {
            self.created = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|channel| channel["id"].as_str().map(str::to_owned));
        }
        if self.workload == Workload::ListPaged {
            // The last page, or a failed one, starts the list over.
            self.cursor = serde_json::from_slice::<Value>(body).ok().and_then(|list| {
                list["pagination"]["next_cursor"]
                    .as_str()
                    .map(str::to_owned)
            });
        }
    }
}
