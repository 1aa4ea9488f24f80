//! The reference: a minimal dropshot server doing the benchmark's PATCH against an in-memory map.
//!
//! It sets the ceiling the framework allows on this machine: the same dropshot version, the same
//! path, the same wire types (so the same JSON sizes and the same serde work per request), the
//! same body limit and log level as the real server, and none of its authentication, validation
//! or storage. Every figure of the real server is reported as a ratio to this one, measured in
//! the same run on the same core.

use anyhow::{anyhow, Context, Result};
use contact_channels_api::types::{ContactChannel, ContactChannelType, ContactChannelUpdate};
use dropshot::{
    endpoint, ApiDescription, ConfigDropshot, ConfigLogging, ConfigLoggingLevel, HttpError,
    HttpResponseOk, Path, RequestContext, ServerBuilder, TypedBody,
};
use schemars::JsonSchema;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Channels per seeded user, in the reference and in the real server alike.
pub const CHANNELS_PER_USER: usize = 5;

/// The user id the reference gives user number `user`; the load generator computes the same.
pub fn user_id(user: usize) -> Uuid {
    Uuid::from_u128(0x1000_0000_0000_4000_8000_0000_0000_0000 | user as u128)
}

/// The id of channel `channel` of user number `user`.
pub fn channel_id(user: usize, channel: usize) -> Uuid {
    Uuid::from_u128(
        0x2000_0000_0000_4000_8000_0000_0000_0000 | ((user as u128) << 16) | channel as u128,
    )
}

/// The email of channel `channel` of user number `user`; the real server is seeded with the
/// same values, so responses have the same size.
pub fn channel_value(user: usize, channel: usize) -> String {
    format!("bench-user-{user:05}-{channel}@example.com")
}

/// Each user's channels, in order.
type Channels = HashMap<Uuid, Vec<ContactChannel>>;

#[derive(Deserialize, JsonSchema)]
struct ChannelPath {
    user_id: Uuid,
    contact_channel_id: Uuid,
}

/// The real server's PATCH, minus everything but the in-memory update (including demoting the
/// previous primary channel).
#[endpoint {
    method = PATCH,
    path = "/api/v1/contact-channels/{user_id}/{contact_channel_id}",
}]
async fn update_contact_channel(
    rqctx: RequestContext<Arc<Mutex<Channels>>>,
    path: Path<ChannelPath>,
    body: TypedBody<ContactChannelUpdate>,
) -> Result<HttpResponseOk<ContactChannel>, HttpError> {
    let path = path.into_inner();
    let body = body.into_inner();
    let id = path.contact_channel_id.to_string();
    let mut channels = rqctx.context().lock().expect("reference map lock");
    let user = channels
        .get_mut(&path.user_id)
        .ok_or_else(|| HttpError::for_not_found(None, "no such user".into()))?;
    let index = user
        .iter()
        .position(|c| c.id == id)
        .ok_or_else(|| HttpError::for_not_found(None, "no such channel".into()))?;
    if body.is_primary == Some(true) {
        for other in user.iter_mut() {
            other.is_primary = false;
        }
    }
    let channel = &mut user[index];
    if let Some(value) = body.value {
        channel.value = value;
    }
    if let Some(used_for_auth) = body.used_for_auth {
        channel.used_for_auth = used_for_auth;
    }
    if let Some(is_primary) = body.is_primary {
        channel.is_primary = is_primary;
    }
    if let Some(is_verified) = body.is_verified {
        channel.is_verified = is_verified;
    }
    Ok(HttpResponseOk(channel.clone()))
}

/// Serves the reference on `bind` until killed, with `users` seeded users, announcing the address
/// on stderr as `reference listening on http://ADDR`.
pub async fn serve(bind: SocketAddr, users: usize) -> Result<()> {
    let mut channels = Channels::new();
    for user in 0..users {
        let list = (0..CHANNELS_PER_USER)
            .map(|channel| ContactChannel {
                user_id: user_id(user).to_string(),
                id: channel_id(user, channel).to_string(),
                value: channel_value(user, channel),
                type_: ContactChannelType::Email,
                used_for_auth: false,
                is_verified: false,
                is_primary: channel == 0,
            })
            .collect();
        channels.insert(user_id(user), list);
    }
    let mut api = ApiDescription::new();
    api.register(update_contact_channel)
        .map_err(|e| anyhow!("registering the reference endpoint: {e}"))?;
    // The real server's log level (warn) and body limit, so the two differ only in the handler.
    let log = ConfigLogging::StderrTerminal {
        level: ConfigLoggingLevel::Warn,
    }
    .to_logger("reference")
    .context("setting up the log")?;
    let config = ConfigDropshot {
        bind_address: bind,
        default_request_body_max_bytes: 16 * 1024,
        ..Default::default()
    };
    let server = ServerBuilder::new(api, Arc::new(Mutex::new(channels)), log)
        .config(config)
        .start()
        .context("starting the reference server")?;
    eprintln!("reference listening on http://{}", server.local_addr());
    server.await.map_err(|e| anyhow!(e))
}
