-- name: collection
-- The collection /owner/name/ (owner slug, name), as store.CollectionRow takes its columns
-- after the owner: name, kind, props, sync_key, revision, stale, modified_at, blocking,
-- sync_floor.
SELECT c.name, c.kind, c.props, c.sync_key, c.revision, c.stale, c.modified_at, c.blocking,
       c.sync_floor
FROM caldav_collections c
WHERE c.id = (SELECT caldav_collection(%s, %s));

-- name: collection_for_update
-- The collection /owner/name/ (owner slug, name), as the query collection, its row locked
-- until the transaction ends: rebuilding a generated collection and creating a stored one
-- hold it so that two processes never do either at once.
SELECT c.name, c.kind, c.props, c.sync_key, c.revision, c.stale, c.modified_at, c.blocking,
       c.sync_floor
FROM caldav_collections c
WHERE c.id = (SELECT caldav_collection(%s, %s))
FOR UPDATE;

-- name: collections_of_owner
-- Every collection of one owner (slug), by name, with the columns of the query collection.
SELECT c.name, c.kind, c.props, c.sync_key, c.revision, c.stale, c.modified_at, c.blocking,
       c.sync_floor
FROM caldav_collections c
JOIN users u ON u.id = c.owner_id
WHERE u.slug = %s
ORDER BY c.name;

-- name: items_of_collection
-- Every item of the collection /owner/name/ (owner slug, name), by href, as store.ItemRow
-- takes its columns: the enclosing time range as epoch seconds.
SELECT href, uid, name, component, etag, body,
       extract(epoch FROM lower(during))::bigint, extract(epoch FROM upper(during))::bigint,
       modified_at
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s))
ORDER BY href;

-- name: items_with_hrefs
-- The items of the collection /owner/name/ (owner slug, name) named in an array of hrefs, by
-- href, with the columns of the query items_of_collection. A query of its own rather than an
-- optional filter, so that the (collection_id, href) key is always what finds them.
SELECT href, uid, name, component, etag, body,
       extract(epoch FROM lower(during))::bigint, extract(epoch FROM upper(during))::bigint,
       modified_at
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s)) AND href = ANY(%s)
ORDER BY href;

-- name: items_in_range
-- Items of the collection /owner/name/ whose enclosing range meets (start, end) the way
-- Radicale's own prefilter does (istart before end and iend after start), of one component
-- or of any when it is NULL; the && on during lets the GiST index (collection_id, during) do
-- the coarse work. Of items whose instances are known, only those with an instance in the
-- range, flagged exact by the last column.
-- Parameters: owner, name, component, component, start, end, end, start, start, end (the
-- times as epoch seconds), and whether to keep only the items whose free-busy time the query
-- busy_periods cannot tell (their instances or their free-busy type unknown).
SELECT href, uid, name, component, etag, body,
       extract(epoch FROM lower(during))::bigint, extract(epoch FROM upper(during))::bigint,
       modified_at,
       instances IS NOT NULL
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s))
  AND (%s::text IS NULL OR component = %s)
  AND during && tstzrange(to_timestamp(%s), to_timestamp(%s), '[]')
  AND lower(during) < to_timestamp(%s) AND upper(during) > to_timestamp(%s)
  AND (instances IS NULL
       OR instances && tstzrange(to_timestamp(%s), to_timestamp(%s), '[)'))
  AND (NOT %s OR instances IS NULL OR fbtype IS NULL)
ORDER BY href;

-- name: listing
-- Every item of the collection /owner/name/ (owner, name) as a depth-1 PROPFIND lists it, by
-- href, as store.ListedItem takes its columns: href, etag, last change, object and component
-- name, and the length of its text in UTF-8 bytes (what Radicale's getcontentlength counts),
-- without reading the text out.
SELECT href, etag, modified_at, name, component, octet_length(convert_to(body, 'UTF8'))
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s))
ORDER BY href;

-- name: busy_periods
-- The free-busy time of the events of the collection /owner/name/ whose instances and
-- free-busy type are known, within a time range: per FBTYPE, the instances clipped to the range
-- and merged. Parameters: start, end, owner, name, start, end, start, end (epoch seconds).
SELECT fbtype, lower(r), upper(r)
FROM (SELECT fbtype,
             unnest(range_agg(instances * tstzmultirange(
                 tstzrange(to_timestamp(%s), to_timestamp(%s), '[)')))) AS r
      FROM caldav_items
      WHERE collection_id = (SELECT caldav_collection(%s, %s))
        AND component = 'VEVENT' AND fbtype IS NOT NULL AND fbtype <> 'TRANSPARENT'
        AND during && tstzrange(to_timestamp(%s), to_timestamp(%s), '[]')
        AND instances && tstzrange(to_timestamp(%s), to_timestamp(%s), '[)')
      GROUP BY fbtype) AS clipped
WHERE NOT isempty(r)
ORDER BY 2, 1;

-- name: has_uid
-- Whether an item of the collection /owner/name/ has this UID (owner, name, uid): a lookup in
-- the unique index of non-empty UIDs.
SELECT EXISTS (
    SELECT 1 FROM caldav_items
    WHERE collection_id = (SELECT caldav_collection(%s, %s)) AND uid = %s AND uid <> ''
);

-- name: hrefs_changed_since
-- The hrefs of the collection /owner/name/ changed or deleted after a revision (owner, name,
-- revision), oldest change first: what a sync-collection REPORT answers.
SELECT href
FROM caldav_changes
WHERE collection_id = (SELECT caldav_collection(%s, %s)) AND revision > %s
ORDER BY revision, href;

-- name: all_hrefs
-- The hrefs of every item of the collection /owner/name/ (owner, name), by href.
SELECT href
FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s))
ORDER BY href;

-- name: bump_revision
-- Moves the collection /owner/name/ (owner, name) to its next revision and returns it; the
-- row stays locked until the transaction ends, which orders the writers of one collection.
UPDATE caldav_collections SET revision = revision + 1, modified_at = now()
WHERE id = (SELECT caldav_collection(%s, %s))
RETURNING revision;

-- name: log_changes
-- Records in the change log of the collection /owner/name/ that some hrefs changed (or were
-- deleted) at a revision, for sync tokens. Parameters: revision, deleted, an array of hrefs,
-- owner, name. One row per href: a later change replaces the earlier one, and its time (the
-- rules' clock) is kept for pruning the tombstones.
INSERT INTO caldav_changes (collection_id, owner_id, href, revision, deleted, changed_at)
SELECT c.id, c.owner_id, h, %s, %s, clock()
FROM caldav_collections c, unnest(%s::text[]) AS h
WHERE c.id = (SELECT caldav_collection(%s, %s))
ON CONFLICT (collection_id, href)
DO UPDATE SET revision = excluded.revision, deleted = excluded.deleted,
              changed_at = excluded.changed_at;

-- name: upsert_items
-- Inserts or replaces items of the collection /owner/name/. Parameters: a JSON array of
-- objects (href, uid, name, component, etag, body, lo and hi: the enclosing range in epoch
-- seconds, key: the source key or null, inst: an array of [start, end] epoch pairs or null,
-- fb: the free-busy type or null), owner, name. The instances become one multirange, so a
-- time-range query can test them with the range operators.
INSERT INTO caldav_items (collection_id, owner_id, href, uid, name, component, etag,
                          body, during, source_key, instances, fbtype)
SELECT c.id, c.owner_id, r.href, r.uid, r.name, r.component, r.etag, r.body,
       tstzrange(to_timestamp(r.lo), to_timestamp(r.hi), '[]'), r.key,
       (SELECT range_agg(tstzrange(to_timestamp((i ->> 0)::float8),
                                   to_timestamp((i ->> 1)::float8), '[)'))
        FROM jsonb_array_elements(r.inst) AS i),
       r.fb
FROM caldav_collections c,
     jsonb_to_recordset(%s::jsonb) AS r (href text, uid text, name text, component text,
                                         etag text, body text, lo bigint, hi bigint, key text,
                                         inst jsonb, fb text)
WHERE c.id = (SELECT caldav_collection(%s, %s))
ON CONFLICT (collection_id, href) DO UPDATE SET uid = excluded.uid,
    name = excluded.name, component = excluded.component, etag = excluded.etag,
    body = excluded.body, during = excluded.during, source_key = excluded.source_key,
    instances = excluded.instances, fbtype = excluded.fbtype,
    modified_at = now();

-- name: delete_items
-- Deletes the items of the collection /owner/name/ named in an array of hrefs (owner, name,
-- hrefs) and returns the hrefs that existed.
DELETE FROM caldav_items
WHERE collection_id = (SELECT caldav_collection(%s, %s)) AND href = ANY(%s)
RETURNING href;
