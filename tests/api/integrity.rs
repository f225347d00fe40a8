//! The record's references hold whoever writes: a traveller or an event that names a unit, port,
//! user or batch that does not exist is refused by the database itself (foreign keys on SQLite,
//! checks once per statement on PostgreSQL), and the rows the record names are never deleted or
//! renumbered.

use diesel::RunQueryDsl;
use serde_json::json;

use crate::world::World;

const NOBODY: &str = "01890a5d-ac96-774b-bcce-b302099a8057";

/// Runs one statement straight on the database, as an operator with SQL would.
fn run(world: &World, statement: &str) -> Result<usize, String> {
    let mut conn = world.app.connection();
    diesel::sql_query(statement)
        .execute(&mut conn)
        .map_err(|e| e.to_string())
}

/// The statement is refused for naming something that does not exist.
fn refused(world: &World, statement: &str) {
    let travellers = world.app.count_rows("travellers");
    let events = world.app.count_rows("events");
    let error = run(world, statement).expect_err(statement);
    assert!(
        error.contains("FOREIGN KEY") || error.contains(NOBODY),
        "{statement}: refused for another reason: {error}"
    );
    assert_eq!(world.app.count_rows("travellers"), travellers, "{statement}");
    assert_eq!(world.app.count_rows("events"), events, "{statement}");
}

/// A copy of a traveller under a new id and document, with one column's value replaced.
fn copy_of(traveller: &str, id: &str, column: &str, value: &str) -> String {
    let columns = [
        "id",
        "full_name",
        "document_type",
        "document_no",
        "nationality",
        "port_id",
        "arrived_at",
        "destination_city_id",
        "destination_district_id",
        "destination_community_id",
        "status",
        "custodian_unit_id",
        "registered_by",
        "created_at",
        "updated_at",
        "version",
        "missing",
        "origin_district_id",
        "origin_community_id",
    ];
    let values: Vec<String> = columns
        .iter()
        .map(|c| match *c {
            "id" => format!("'{id}'"),
            "document_no" => format!("'{id}'"),
            c if c == column => format!("'{value}'"),
            c => c.to_owned(),
        })
        .collect();
    format!(
        "INSERT INTO travellers ({}) SELECT {} FROM travellers WHERE id = '{traveller}'",
        columns.join(", "),
        values.join(", ")
    )
}

fn event_by(actor: &str, id: &str) -> String {
    format!(
        "INSERT INTO events (id, at, actor_id, action, entity_type, entity_id, data, prev_hash, hash) \
         VALUES ('{id}', '2020-03-07T08:30:00Z', '{actor}', 'traveller.noted', 'traveller', '{id}', '{{}}', '', '')"
    )
}

#[actix_web::test]
async fn a_reference_to_nothing_is_refused_by_the_database_and_named_rows_stay() {
    let mut world = World::new().await;
    let traveller = world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let on_board = world.register("PVG", "CZ-TN-HM", "MU5001").await;
    let vehicle = world.vehicle("苏D·Z0003").await;
    let batch = world
        .create_batch("PVG", &[on_board], &vehicle)
        .await
        .expect(201)
        .id();
    let app = &world.app;

    // What a traveller names must exist: on insert, whichever column it is...
    for column in [
        "port_id",
        "destination_city_id",
        "destination_district_id",
        "destination_community_id",
        "custodian_unit_id",
        "registered_by",
        "origin_community_id",
    ] {
        refused(
            &world,
            &copy_of(&traveller, "01890a5d-0000-7000-8000-000000000001", column, NOBODY),
        );
    }
    // ...while the same copy naming real rows goes in.
    let copy = "01890a5d-0000-7000-8000-000000000002";
    assert_eq!(run(&world, &copy_of(&traveller, copy, "id", copy)), Ok(1));

    // A change to a reference is checked too.
    for column in [
        "custodian_unit_id",
        "port_id",
        "batch_id",
        "exception_by",
        "destination_district_id",
    ] {
        refused(
            &world,
            &format!("UPDATE travellers SET {column} = '{NOBODY}' WHERE id = '{traveller}'"),
        );
    }
    let city = app.unit("CZ");
    assert_eq!(
        run(
            &world,
            &format!("UPDATE travellers SET custodian_unit_id = '{city}' WHERE id = '{copy}'")
        ),
        Ok(1)
    );

    // An event's actor must exist.
    let admin_id = app.get("/api/v1/me", &world.admin).await.expect(200).body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    refused(&world, &event_by(NOBODY, "01890a5d-0000-7000-8000-000000000003"));
    assert_eq!(
        run(
            &world,
            &event_by(&admin_id, "01890a5d-0000-7000-8000-000000000004")
        ),
        Ok(1)
    );

    // Units, ports, users and batches are never deleted or renumbered, even when nothing names
    // them yet.
    let admin = world.admin.clone();
    let app = &mut world.app;
    let unit = app
        .create_unit(&admin, "CZ-TN-ZZ", "community", Some("CZ-TN"))
        .await;
    let port = json!({"code": "ZZZ", "name": "Unused port", "kind": "airport", "city_name": "Changzhou"});
    app.post("/api/v1/ports", &admin, port).await.expect(201);
    app.user_with(&admin, "nobody.yet", "viewer", Some("CZ")).await;
    for statement in [
        format!("DELETE FROM units WHERE id = '{unit}'"),
        format!("UPDATE units SET id = '{NOBODY}' WHERE id = '{unit}'"),
        "DELETE FROM ports WHERE code = 'ZZZ'".to_owned(),
        "DELETE FROM users WHERE username = 'nobody.yet'".to_owned(),
        format!("DELETE FROM batches WHERE id = '{batch}'"),
    ] {
        let error = run(&world, &statement).expect_err(&statement);
        assert!(error.contains("never deleted"), "{statement}: {error}");
    }
    let app = &world.app;
    app.get(&format!("/api/v1/units/{unit}"), &admin)
        .await
        .expect(200);
    app.get(&format!("/api/v1/batches/{batch}"), &world.dispatcher)
        .await
        .expect(200);
}
