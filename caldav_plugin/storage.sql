-- name: ensure_home
-- Makes the signed-in user's generated collections (and a coach's busy calendar) if they
-- are missing, at the start of each of their requests.
SELECT caldav_ensure_home();

-- name: principal
-- The display name and creation time of a user (slug), only when it is the signed-in user:
-- a principal sees only itself.
SELECT display_name, created_at
FROM users
WHERE slug = %s AND id = current_actor_id();

-- name: insert_collection
-- Creates a stored collection (name, properties as a JSON object, owner slug).
INSERT INTO caldav_collections (owner_id, name, props)
SELECT id, %s, %s::jsonb
FROM users
WHERE slug = %s;

-- name: replace_collection_props
-- Replaces the properties of the collection /owner/name/ (properties as a JSON object,
-- owner, name), with those a PUT of a whole calendar carries laid over the old ones.
UPDATE caldav_collections SET props = %s::jsonb, modified_at = now()
WHERE id = (SELECT caldav_collection(%s, %s));

-- name: count_collections
-- How many collections there are: verify() checks that the database answers and that the
-- CalDAV tables are there.
SELECT count(*)
FROM caldav_collections;
