//! Users: creating, reading and deleting them.

use super::input::check_display_name;
use super::{Caller, Service, ServiceError};
use crate::store::{Entity, StoreError, UserRecord};
use uuid::Uuid;

impl Service {
    /// Creates a user (server and admin only).
    pub async fn create_user(
        &self,
        caller: &Caller,
        display_name: Option<&str>,
    ) -> Result<UserRecord, ServiceError> {
        Self::require_server(caller)?;
        if let Some(name) = display_name {
            check_display_name(name)?;
        }
        let user = self
            .store
            .create_user(
                &caller.project.id,
                Uuid::new_v4(),
                display_name,
                self.clock.now_millis(),
            )
            .await?;
        Ok(user)
    }

    /// Reads a user; clients only themselves.
    pub async fn get_user(
        &self,
        caller: &Caller,
        user_id: &str,
    ) -> Result<UserRecord, ServiceError> {
        let id = self.resolve_user_id(caller, user_id)?;
        self.store
            .get_user(&caller.project.id, id)
            .await?
            .ok_or_else(|| ServiceError::UserNotFound(id.to_string()))
    }

    /// Deletes a user and its channels (server and admin only).
    pub async fn delete_user(&self, caller: &Caller, user_id: &str) -> Result<(), ServiceError> {
        Self::require_server(caller)?;
        let id = self.resolve_user_id(caller, user_id)?;
        self.store
            .delete_user(&caller.project.id, id)
            .await
            .map_err(|e| match e {
                // The user is the resource here, not a reference to one: 404, as Stack Auth.
                StoreError::NotFound(Entity::User(id)) => {
                    ServiceError::UserNotFound(id.to_string())
                }
                e => e.into(),
            })
    }
}
