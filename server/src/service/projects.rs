//! Projects: creating them, their trusted callback domains, and authenticating a request
//! against one, through a short-lived cache of loaded projects.

use super::auth::{self, Caller, Project, ProjectKeys, RequestHeaders};
use super::{Service, ServiceError};
use crate::store::{ProjectRecord, TrustChange};
use std::sync::Arc;
use std::time::Instant;

/// What a project listing shows of each project: nothing secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectSummary {
    pub id: String,
    pub display_name: String,
}

impl Service {
    /// Creates a project and returns its keys (shown once).
    pub async fn create_project(
        &self,
        display_name: &str,
        allow_localhost: bool,
    ) -> Result<ProjectKeys, ServiceError> {
        let (record, keys) = self.new_project(display_name, allow_localhost);
        self.store.create_project(&record).await?;
        Ok(keys)
    }

    /// Every project, oldest first: its id and name.
    pub async fn list_projects(&self) -> Result<Vec<ProjectSummary>, ServiceError> {
        let records = self.store.list_projects().await?;
        Ok(records
            .into_iter()
            .map(|record| ProjectSummary {
                id: record.id,
                display_name: record.display_name,
            })
            .collect())
    }

    /// Creates a project only if the database has none, atomically; its keys if it did.
    pub async fn create_first_project(
        &self,
        display_name: &str,
        allow_localhost: bool,
    ) -> Result<Option<ProjectKeys>, ServiceError> {
        let (record, keys) = self.new_project(display_name, allow_localhost);
        Ok(self
            .store
            .create_first_project(&record)
            .await?
            .then_some(keys))
    }

    /// A new project, its signing key sealed when there is a master key.
    fn new_project(
        &self,
        display_name: &str,
        allow_localhost: bool,
    ) -> (ProjectRecord, ProjectKeys) {
        let (mut record, keys) =
            auth::new_project(display_name, allow_localhost, self.clock.now_millis());
        if let Some(master) = &self.config.master_key {
            record.signing_key = master.seal(&record.id, &record.signing_key);
        }
        (record, keys)
    }

    /// Changes where a project's verification links may point; answers the trusted domains and
    /// the localhost setting as they now are.
    pub async fn change_project_trust(
        &self,
        project_id: &str,
        change: &TrustChange,
    ) -> Result<(Vec<String>, bool), ServiceError> {
        for domain in &change.add {
            let parsed = url::Url::parse(&domain.replace("*.", "wildcard."));
            if !parsed.is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.path() == "/") {
                return Err(ServiceError::InvalidInput(format!(
                    "trusted domain {domain:?}: expected an origin such as https://app.example.com or https://*.example.com"
                )));
            }
        }
        self.store
            .change_project_trust(project_id, change)
            .await
            .map_err(ServiceError::from)
    }

    /// Authenticates a request from its headers.
    pub async fn authenticate(&self, headers: &RequestHeaders) -> Result<Caller, ServiceError> {
        let claimed = auth::check_headers(headers, self.clock.as_ref())?;
        let project = self.project(&claimed.project_id).await?;
        auth::check_project(project, claimed)
    }

    /// A project, from the cache while it is fresh. Unknown ids are not cached, so a project
    /// created by another process is found at once.
    async fn project(&self, id: &str) -> Result<Arc<Project>, ServiceError> {
        if let Some((project, loaded)) = self.projects.read().expect("cache lock").get(id) {
            if loaded.elapsed() < self.config.project_cache_ttl {
                return Ok(project.clone());
            }
        }
        let record = self
            .store
            .get_project(id)
            .await?
            .ok_or_else(|| ServiceError::CurrentProjectNotFound(id.to_owned()))?;
        let project = Arc::new(Project::from_record(&record, &self.config)?);
        self.projects
            .write()
            .expect("cache lock")
            .insert(id.to_owned(), (project.clone(), Instant::now()));
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::testing::{headers, service};

    #[tokio::test]
    async fn header_checks_come_before_the_project_is_loaded() {
        let (service, keys, _) = service().await;
        let service = &service;
        let check = |h: RequestHeaders| async move { service.authenticate(&h).await.unwrap_err() };
        let no_type = RequestHeaders {
            access_type: None,
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(no_type).await,
            ServiceError::ProjectKeyWithoutAccessType
        ));
        let unknown = RequestHeaders {
            project_id: Some("nope".into()),
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(unknown).await,
            ServiceError::CurrentProjectNotFound(_)
        ));
        let bad_token = RequestHeaders {
            project_id: Some("nope".into()),
            access_token: Some("x.y.z".into()),
            ..headers(&keys, "server")
        };
        assert!(matches!(
            check(bad_token).await,
            ServiceError::UnparsableAccessToken
        ));
    }
}
