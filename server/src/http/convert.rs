//! Records of the store as wire types of the API.

use crate::store::{ChannelRecord, UserRecord};
use contact_channels_api::types::{ContactChannel, ContactChannelType, User};

impl From<ChannelRecord> for ContactChannel {
    fn from(c: ChannelRecord) -> Self {
        ContactChannel {
            user_id: c.user_id.to_string(),
            id: c.id.to_string(),
            value: c.value,
            type_: ContactChannelType::Email,
            used_for_auth: c.used_for_auth,
            is_verified: c.is_verified,
            is_primary: c.is_primary,
        }
    }
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User {
            id: u.id.to_string(),
            display_name: u.display_name,
            primary_email: u.primary_email,
            primary_email_verified: u.primary_email_verified,
            signed_up_at_millis: u.signed_up_at_millis,
        }
    }
}
