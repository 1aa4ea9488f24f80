//! Contact channels: the inputs of their operations, and listing (with its cursor), creating,
//! reading, updating and deleting them.

use super::input::{client_sets_verified, normalize_email, parse_uuid};
use super::{
    Access, Caller, Service, ServiceError, CURSOR_DIGITS, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use crate::store::{ChannelChanges, ChannelFilter, ChannelRecord, NewChannel};
use uuid::Uuid;

/// Input of [`Service::create_channel`].
#[derive(Clone, Debug)]
pub struct CreateChannel {
    pub user_id: String,
    pub value: String,
    pub used_for_auth: bool,
    pub is_primary: bool,
    pub is_verified: Option<bool>,
}

/// Input of [`Service::update_channel`]; `None` leaves a field alone.
#[derive(Clone, Debug, Default)]
pub struct UpdateChannel {
    pub value: Option<String>,
    pub used_for_auth: Option<bool>,
    pub is_primary: Option<bool>,
    pub is_verified: Option<bool>,
}

/// Input of [`Service::list_channels`].
#[derive(Clone, Debug, Default)]
pub struct ListChannels {
    pub user_id: Option<String>,
    pub contact_channel_id: Option<String>,
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A list of channels; `next_cursor` is `Some` when it is paginated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelPage {
    pub items: Vec<ChannelRecord>,
    pub paginated: bool,
    pub next_cursor: Option<String>,
}

impl Service {
    /// Lists channels: one user's (all of them unless `limit` is given), or, for server and
    /// admin callers, the whole project's, paginated.
    pub async fn list_channels(
        &self,
        caller: &Caller,
        input: ListChannels,
    ) -> Result<ChannelPage, ServiceError> {
        let user_id = match &input.user_id {
            Some(user_id) => Some(self.resolve_user_id(caller, user_id)?),
            None if caller.access == Access::Client => {
                return Err(if caller.user_id.is_none() {
                    ServiceError::CannotGetOwnUserWithoutUser
                } else {
                    ServiceError::ClientCannotAccessOtherUser
                });
            }
            None => None,
        };
        let channel_id = input
            .contact_channel_id
            .as_deref()
            .map(|id| parse_uuid("contact_channel_id", id))
            .transpose()?;
        if let Some(limit) = input.limit {
            if !(1..=MAX_PAGE_SIZE).contains(&limit) {
                return Err(ServiceError::InvalidInput(format!(
                    "limit: must be between 1 and {MAX_PAGE_SIZE}, got {limit}"
                )));
            }
        }
        let after_seq = input.cursor.as_deref().map(decode_cursor).transpose()?;
        let paginated = user_id.is_none() || input.limit.is_some() || after_seq.is_some();
        let limit = paginated.then(|| input.limit.unwrap_or(DEFAULT_PAGE_SIZE));
        let filter = ChannelFilter {
            user_id,
            channel_id,
            after_seq,
            // One more than asked tells whether there is a next page.
            limit: limit.map(|l| l + 1),
        };
        let mut items = self
            .store
            .list_channels(&caller.project.id, &filter)
            .await?;
        let mut next_cursor = None;
        if let Some(limit) = limit {
            if items.len() > limit as usize {
                items.truncate(limit as usize);
                next_cursor = items.last().map(|c| encode_cursor(c.seq));
            }
        }
        Ok(ChannelPage {
            items,
            paginated,
            next_cursor,
        })
    }

    /// Creates a channel.
    pub async fn create_channel(
        &self,
        caller: &Caller,
        input: CreateChannel,
    ) -> Result<ChannelRecord, ServiceError> {
        if input.is_verified.is_some() && caller.access == Access::Client {
            return Err(client_sets_verified());
        }
        let value = normalize_email(&input.value)?;
        let user_id = self.resolve_user_id(caller, &input.user_id)?;
        let channel = NewChannel {
            id: Uuid::new_v4(),
            user_id,
            value,
            used_for_auth: input.used_for_auth,
            is_verified: input.is_verified.unwrap_or(false),
            is_primary: input.is_primary,
            cap: self.config.max_channels_per_user,
        };
        self.store
            .create_channel(&caller.project.id, &channel)
            .await
            .map_err(ServiceError::from)
    }

    /// Reads a channel.
    pub async fn get_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
    ) -> Result<ChannelRecord, ServiceError> {
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        self.store
            .get_channel(&caller.project.id, user_id, channel_id)
            .await?
            .ok_or(ServiceError::ContactChannelNotFound)
    }

    /// Updates a channel. Changing `value` resets verification unless a server or admin caller
    /// sets `is_verified` in the same request.
    pub async fn update_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
        input: UpdateChannel,
    ) -> Result<ChannelRecord, ServiceError> {
        if input.is_verified.is_some() && caller.access == Access::Client {
            return Err(client_sets_verified());
        }
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let value = input.value.as_deref().map(normalize_email).transpose()?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        let is_verified = match (&value, input.is_verified) {
            (_, Some(set)) => Some(set),
            (Some(_), None) => Some(false),
            (None, None) => None,
        };
        let changes = ChannelChanges {
            value,
            used_for_auth: input.used_for_auth,
            is_verified,
            is_primary: input.is_primary,
        };
        self.store
            .update_channel(&caller.project.id, user_id, channel_id, &changes)
            .await
            .map_err(ServiceError::from)
    }

    /// Deletes a channel. Deleting the primary channel promotes none.
    pub async fn delete_channel(
        &self,
        caller: &Caller,
        user_id: &str,
        channel_id: &str,
    ) -> Result<(), ServiceError> {
        let channel_id = parse_uuid("contact_channel_id", channel_id)?;
        let user_id = self.resolve_user_id(caller, user_id)?;
        self.store
            .delete_channel(&caller.project.id, user_id, channel_id)
            .await
            .map_err(ServiceError::from)
    }
}

/// A cursor is the position of the last row of a page as [`CURSOR_DIGITS`] lowercase hex
/// digits: a shape the spec states exactly, so any cursor of that shape is valid (one past every
/// row reads nothing).
fn encode_cursor(seq: i64) -> String {
    format!("{seq:0CURSOR_DIGITS$x}")
}

fn decode_cursor(cursor: &str) -> Result<i64, ServiceError> {
    let valid = cursor.len() == CURSOR_DIGITS
        && cursor
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    valid
        .then(|| u64::from_str_radix(cursor, 16).ok())
        .flatten()
        .map(|seq| seq.min(i64::MAX as u64) as i64)
        .ok_or_else(|| {
            ServiceError::InvalidInput(format!(
                "cursor: must be {CURSOR_DIGITS} lowercase hex digits, a next_cursor"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::{headers, service};

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert_eq!(decode_cursor("ffffffffffffffff").unwrap(), i64::MAX);
        for bad in [
            "",
            "42",
            "c2VxOng",
            "!!",
            "000000000000002A",
            "000000000000002a0",
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_spec_pattern_and_the_parser_take_the_same_cursors() {
        let pattern =
            regex::Regex::new(contact_channels_api::types::rules::CURSOR_PATTERN).unwrap();
        for cursor in [
            encode_cursor(0),
            encode_cursor(i64::MAX),
            "000000000000002a".into(),
            "000000000000002A".into(),
            "000000000000002a0".into(),
            "00000000000002a".into(),
            "g000000000000000".into(),
            String::new(),
        ] {
            assert_eq!(
                pattern.is_match(&cursor),
                decode_cursor(&cursor).is_ok(),
                "{cursor:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_update_carrying_a_value_resets_verification() {
        let (service, keys, _) = service().await;
        let server = service
            .authenticate(&headers(&keys, "server"))
            .await
            .unwrap();
        let user = service
            .create_user(&server, None)
            .await
            .unwrap()
            .id
            .to_string();
        let create = CreateChannel {
            user_id: user.clone(),
            value: "a@example.com".into(),
            used_for_auth: false,
            is_primary: false,
            is_verified: Some(true),
        };
        let channel = service.create_channel(&server, create).await.unwrap();
        let id = channel.id.to_string();
        let same = UpdateChannel {
            value: Some("A@example.com".into()),
            ..Default::default()
        };
        assert!(
            !service
                .update_channel(&server, &user, &id, same)
                .await
                .unwrap()
                .is_verified
        );
        let keep = UpdateChannel {
            value: Some("b@example.com".into()),
            is_verified: Some(true),
            ..Default::default()
        };
        assert!(
            service
                .update_channel(&server, &user, &id, keep)
                .await
                .unwrap()
                .is_verified
        );
    }
}
