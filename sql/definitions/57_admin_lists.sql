-- officehours rules: the admin's long lists (every user; active clients with their coach), a
-- page at a time by keyset on (lower(display_name), slug), searchable by any part of a name or
-- email.
--
-- Why these are SECURITY DEFINER functions that check the admin themselves, rather than plain
-- queries under row-level security: under a policy, PostgreSQL uses a condition of the query as
-- an index condition only if every function it applies to a column is leakproof, and lower(),
-- LIKE and the comparison of enums are not. Run as the web app's role these lists could only
-- walk the whole users table, filtering (a page far down the list read every row before it);
-- run as the owner they are index scans of users_by_name, users_by_role_name and users_search
-- (migration 0055). The admin check here is the same as the policy users_admin's.

CREATE OR REPLACE FUNCTION admin_require() RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT current_actor_is_admin() THEN
        RAISE EXCEPTION 'Only an admin may list every account.' USING ERRCODE = 'OH007';
    END IF;
END $$;
COMMENT ON FUNCTION admin_require() IS 'Raises forbidden (OH007) unless the acting user is an active admin: the check of the admin''s list functions.';

CREATE OR REPLACE FUNCTION admin_users(p_role user_role, p_pattern text, p_name text, p_slug text,
                                       p_backward boolean, p_limit integer)
    RETURNS TABLE (slug text, email text, display_name text, time_zone text, role user_role,
                   active boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM admin_require();
    -- Only the conditions asked for are in the statement, and it is planned for these values
    -- (EXECUTE plans each time): a cached generic plan of "p IS NULL OR ..." could use no index.
    RETURN QUERY EXECUTE format(
        'SELECT u.slug, u.email, u.display_name, u.time_zone, u.role, u.active FROM users u'
        ' WHERE true %s %s %s ORDER BY lower(u.display_name) %s, u.slug %s LIMIT $6',
        CASE WHEN p_role IS NOT NULL THEN 'AND u.role = $1' ELSE '' END,
        CASE WHEN p_pattern IS NOT NULL
             THEN $q$AND lower(u.display_name) || ' ' || lower(u.email) LIKE $2$q$ ELSE '' END,
        CASE WHEN p_name IS NULL THEN ''
             WHEN p_backward THEN 'AND (lower(u.display_name), u.slug) < ($3, $4)'
             ELSE 'AND (lower(u.display_name), u.slug) > ($3, $4)' END,
        CASE WHEN p_backward THEN 'DESC' ELSE '' END,
        CASE WHEN p_backward THEN 'DESC' ELSE '' END)
    USING p_role, p_pattern, p_name, p_slug, p_backward, p_limit;
END $$;
COMMENT ON FUNCTION admin_users(user_role, text, text, text, boolean, integer) IS 'For an admin: at most p_limit users (of role p_role, or every role; matching the LIKE pattern p_pattern on lower(name || '' '' || email), or all) after the key (p_name = lower(display_name), p_slug), by name and slug, or before it, nearest first, when p_backward; no key: the first page. Raises forbidden (OH007) for anyone else.';

CREATE OR REPLACE FUNCTION admin_clients(p_pattern text, p_name text, p_slug text,
                                         p_backward boolean, p_limit integer)
    RETURNS TABLE (slug text, display_name text, email text, time_zone text, coach_slug text,
                   coach_name text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM admin_require();
    RETURN QUERY EXECUTE format(
        'SELECT u.slug, u.display_name, u.email, u.time_zone, co.slug, co.display_name'
        ' FROM users u'
        ' LEFT JOIN coaching c ON c.client_id = u.id AND upper_inf(c.during)'
        ' LEFT JOIN users co ON co.id = c.coach_id'
        ' WHERE u.role = ''client'' AND u.active %s %s'
        ' ORDER BY lower(u.display_name) %s, u.slug %s LIMIT $5',
        CASE WHEN p_pattern IS NOT NULL
             THEN $q$AND lower(u.display_name) || ' ' || lower(u.email) LIKE $1$q$ ELSE '' END,
        CASE WHEN p_name IS NULL THEN ''
             WHEN p_backward THEN 'AND (lower(u.display_name), u.slug) < ($2, $3)'
             ELSE 'AND (lower(u.display_name), u.slug) > ($2, $3)' END,
        CASE WHEN p_backward THEN 'DESC' ELSE '' END,
        CASE WHEN p_backward THEN 'DESC' ELSE '' END)
    USING p_pattern, p_name, p_slug, p_backward, p_limit;
END $$;
COMMENT ON FUNCTION admin_clients(text, text, text, boolean, integer) IS 'For an admin: at most p_limit active clients, each with their current coach (slug and name, NULL when none), matching p_pattern as admin_users does, after (or, p_backward, before) the key (p_name, p_slug) by name and slug. Raises forbidden (OH007) for anyone else.';
