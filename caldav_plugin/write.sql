-- name: delete_collection
-- Deletes the collection /owner/name/ (owner, name); its items and change log go with it.
DELETE FROM caldav_collections
WHERE id = (SELECT caldav_collection(%s, %s));

-- name: set_collection_props
-- Replaces the properties of the collection /owner/name/ (properties as a JSON object,
-- owner, name), as a PROPPATCH does, and returns whether it now blocks the coach's time.
UPDATE caldav_collections SET props = %s::jsonb, modified_at = now()
WHERE id = (SELECT caldav_collection(%s, %s))
RETURNING blocking;
