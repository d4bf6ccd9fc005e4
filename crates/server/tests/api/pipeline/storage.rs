//! SQLite housekeeping and private data files.

use super::*;

// ---- 16: SQLite housekeeping ----

async fn wal_checkpoint_shrinks_the_wal(app: TestApp) {
    if app.backend == "postgres" {
        // No WAL file of ours: the job has nothing to do.
        assert!(
            invigil_server::jobs::wal_checkpoint(&app.state)
                .await
                .unwrap()
                .is_none()
        );
        return;
    }
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    let now = app.state.now();
    let meta = Some(invigil_store::proctoring::entities::EventMeta(
        serde_json::from_value(json!({"pad": "x".repeat(2000)})).unwrap(),
    ));
    for round in 0..10 {
        let events: Vec<Event> = (0..500)
            .map(|i| Event {
                id: Uuid::now_v7(),
                org_id: s.org.id,
                session_id: sid,
                client_event_id: Some(format!("pad-{round}-{i}")),
                source: invigil_domain::proctoring::EventSource::Laptop,
                event_type: invigil_domain::proctoring::EventType::TabSwitch,
                severity: 3,
                occurred_at: now,
                received_at: now,
                meta: meta.clone(),
                frame_id: None,
            })
            .collect();
        pstore::insert_events(app.db().write(), &events)
            .await
            .unwrap();
    }
    let wal = invigil_store::db::wal_path(&app.state.config.data_dir.join("invigil.db"));
    let before = std::fs::metadata(&wal).unwrap().len();
    assert!(before > 1_000_000, "the WAL grew: {before} bytes");
    let done = invigil_server::jobs::wal_checkpoint(&app.state)
        .await
        .unwrap()
        .expect("SQLite checkpoints");
    assert!(done.truncated, "{done:?}");
    assert_eq!(done.wal_bytes_before, before);
    assert_eq!(std::fs::metadata(&wal).unwrap().len(), 0);
    // The data is all there.
    assert_eq!(
        pstore::events_of_session(app.db().read(), sid)
            .await
            .unwrap()
            .len(),
        5000
    );
}

/// The event writer's batch: several requests' events in one INSERT tell
/// each request which of its events were new (the same event twice in one
/// batch counts once), and several heartbeats of one session and source in
/// one upsert keep the latest time, never going back.
async fn one_batch_stores_events_and_heartbeats_of_many_requests(app: TestApp) {
    let s = setup_with(&app, ExamOpts::default()).await;
    let body = start(&app, &s).await;
    let sid: Uuid = body["session_id"].as_str().unwrap().parse().unwrap();
    let now = app.state.now();
    let event = |client: &str| Event {
        id: Uuid::now_v7(),
        org_id: s.org.id,
        session_id: sid,
        client_event_id: Some(client.to_owned()),
        source: invigil_domain::proctoring::EventSource::Laptop,
        event_type: invigil_domain::proctoring::EventType::WindowBlur,
        severity: 2,
        occurred_at: now,
        received_at: now,
        meta: None,
        frame_id: None,
    };
    let first = [event("a"), event("b")];
    let replay = [event("b"), event("c")];
    let all: Vec<&Event> = first.iter().chain(&replay).collect();
    let inserted = pstore::insert_events_returning(app.db().write(), &all)
        .await
        .unwrap();
    assert_eq!(inserted.len(), 3, "a, b and c; the second b is a duplicate");
    assert!(first.iter().all(|e| inserted.contains(&e.id)));
    assert!(!inserted.contains(&replay[0].id));
    assert!(inserted.contains(&replay[1].id));
    // Sent again later: nothing is new.
    let again = [event("a"), event("c")];
    let refs: Vec<&Event> = again.iter().collect();
    assert!(
        pstore::insert_events_returning(app.db().write(), &refs)
            .await
            .unwrap()
            .is_empty()
    );

    let beat = |secs: i64| pstore::Beat {
        session_id: sid,
        org_id: s.org.id,
        source: invigil_domain::proctoring::EventSource::Laptop,
        at: now + Duration::seconds(secs),
    };
    let seen = || async {
        pstore::heartbeats_of_sessions(app.db().read(), s.org.id, &[sid])
            .await
            .unwrap()
            .into_iter()
            .map(|h| h.last_seen_at)
            .collect::<Vec<_>>()
    };
    let (b1, b2, b3) = (beat(5), beat(9), beat(7));
    pstore::upsert_heartbeats(app.db().write(), &[&b1, &b2, &b3])
        .await
        .unwrap();
    assert_eq!(seen().await, vec![b2.at], "one row, the latest time");
    let (older, newer) = (beat(3), beat(12));
    pstore::upsert_heartbeats(app.db().write(), &[&older])
        .await
        .unwrap();
    assert_eq!(seen().await, vec![b2.at], "an older beat never goes back");
    pstore::upsert_heartbeats(app.db().write(), &[&newer, &older])
        .await
        .unwrap();
    assert_eq!(seen().await, vec![newer.at]);
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `invigil serve`'s start-up on SQLite: the data directory is 0700, the
/// database with its -wal and -shm files and the evidence key are 0600.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_are_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = invigil_server::config::Config {
        data_dir: data.clone(),
        ..Default::default()
    };
    let state = invigil_server::app::start_state(config).await.unwrap();
    let db = data.join("invigil.db");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&invigil_store::db::wal_path(&db)), 0o600);
    let mut shm = db.as_os_str().to_owned();
    shm.push("-shm");
    assert_eq!(mode(std::path::Path::new(&shm)), 0o600);
    assert_eq!(
        mode(&data.join(invigil_server::review::keys::KEY_FILE)),
        0o600
    );
    // Evidence blobs: 0600 files in 0700 directories.
    use invigil_server::files::blob::LocalStore;
    use invigil_server::review::evidence::{EvidenceBlobs, evidence_store};
    let key = evidence_store(&state).put(b"frame").await.unwrap();
    let blob =
        LocalStore::new(data.join("evidence")).path_of(&EvidenceBlobs::blob_key(&key).unwrap());
    assert!(blob.ends_with(format!("{}/{}/{key}", &key[..2], &key[2..4])));
    assert_eq!(mode(&blob), 0o600);
    let mut dir = blob.parent();
    while let Some(d) = dir.filter(|d| d.starts_with(data.join("evidence"))) {
        assert_eq!(mode(d), 0o700, "{}", d.display());
        dir = d.parent();
    }
    state.background.shutdown().await;
    state.db.clone().close().await.unwrap();
}

both!(
    wal_checkpoint_shrinks_the_wal,
    one_batch_stores_events_and_heartbeats_of_many_requests,
);
