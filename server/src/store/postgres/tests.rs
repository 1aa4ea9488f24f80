//! The PostgreSQL store's own tests; the behaviour shared with SQLite is in
//! [`crate::store::conformance`]. Each runs in a scratch schema of the database
//! [`scratch::TEST_URL_VAR`] names.

use super::scratch::ScratchSchema;
use super::*;
use crate::store::conformance::Kept;

/// A migrated store in a scratch schema, kept as long as the schema; `None` when no test
/// database is configured (the skip is said on stderr).
pub(super) async fn fixture() -> Option<Kept<PgStore, ScratchSchema>> {
    let schema = ScratchSchema::for_test().await?;
    let store = schema.open().await.unwrap();
    Some(Kept {
        store,
        _guard: schema,
    })
}

crate::store::conformance::tests!(conformance, fixture);

#[tokio::test]
async fn concurrent_make_primary_leaves_exactly_one_primary() {
    let Some(store) = fixture().await else { return };
    let store = store.store.clone();
    let (project, _) = crate::service::auth::new_project("p", false, 1);
    store.create_project(&project).await.unwrap();
    let user = store
        .create_user(&project.id, Uuid::new_v4(), None, 1)
        .await
        .unwrap()
        .id;
    let mut ids = Vec::new();
    for i in 0..8 {
        let c = NewChannel {
            id: Uuid::new_v4(),
            user_id: user,
            value: format!("{i}@x.io"),
            used_for_auth: false,
            is_verified: false,
            is_primary: false,
        };
        ids.push(store.create_channel(&project.id, &c).await.unwrap().id);
    }
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let (store, project, id) = (store.clone(), project.id.clone(), ids[i % ids.len()]);
            tokio::spawn(async move {
                let changes = ChannelChanges {
                    is_primary: Some(true),
                    ..Default::default()
                };
                store.update_channel(&project, user, id, &changes).await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("make-primary never conflicts: writes of one user are serialized");
    }
    let all = store
        .list_channels(&project.id, &ChannelFilter::default())
        .await
        .unwrap();
    assert_eq!(all.iter().filter(|c| c.is_primary).count(), 1);
}
