//! The PostgreSQL test support itself: a throwaway cluster starts, stops, starts again and
//! leaves nothing behind; a test database is fresh and goes away with its handle.

use std::time::Duration;

use hub_testkit::postgres::{Cluster, TestDatabase, server_url};

async fn query_one(url: &str) -> Result<i32, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let row = client.query_one("SELECT 1", &[]).await?;
    Ok(row.get(0))
}

async fn database_exists(server: &str, name: &str) -> bool {
    let (client, connection) = tokio_postgres::connect(server, tokio_postgres::NoTls)
        .await
        .expect("the server answers");
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .expect("the catalog reads");
    row.get::<_, i64>(0) == 1
}

#[tokio::test]
async fn a_cluster_stops_starts_again_and_is_removed() {
    let cluster = Cluster::start().expect("a throwaway cluster starts");
    let url = cluster.url("postgres");
    assert_eq!(query_one(&url).await.unwrap(), 1);

    cluster.stop().expect("the cluster stops");
    assert!(query_one(&url).await.is_err(), "a stopped cluster refuses");

    cluster.start_again().expect("the cluster starts again");
    assert_eq!(query_one(&url).await.unwrap(), 1);

    let port = cluster.port();
    let directory = cluster.directory().to_owned();
    assert!(directory.join("data/PG_VERSION").is_file());
    drop(cluster);
    assert!(!directory.exists(), "{} is removed", directory.display());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens on the cluster's port any more"
    );
}

#[tokio::test]
async fn each_test_database_is_fresh_and_dropped_with_its_handle() {
    let first = TestDatabase::create().await;
    let second = TestDatabase::create().await;
    assert_ne!(first.url(), second.url());
    assert_eq!(query_one(first.url()).await.unwrap(), 1);

    let name = first.url().rsplit('/').next().unwrap().to_owned();
    let server = server_url();
    assert!(database_exists(&server, &name).await);
    drop(first);
    assert!(!database_exists(&server, &name).await);
}
