-- Each write to a user's channels as one function call: one round trip per request, where the
-- same steps as separate statements cost five or six. Each function locks the user's row first,
-- as every write for a user does, and answers a status the store maps to its typed errors:
-- 'ok', 'user' (no such user), 'channel' (the user has no such channel), 'value_taken' (the user
-- holds the value on another channel). A broken unique index raises as usual, with its name.
--
-- Inserts also take this project's channel-insert lock in shared mode (cc_insert_lock) until they
-- commit, and a page of a list takes it exclusively before it reads: seq is allocated at insert
-- time, so without this a page could end past a seq whose insert commits later, and a reader
-- holding that cursor would never see the row.

-- The advisory lock key of a project's inserts (the two-int form, apart from any bigint key).
CREATE FUNCTION cc_insert_lock(p_project TEXT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE AS $$ SELECT hashtext(p_project) $$;

CREATE FUNCTION cc_create_channel(
    p_project TEXT, p_user UUID, p_id UUID, p_value TEXT,
    p_used_for_auth BOOLEAN, p_is_verified BOOLEAN, p_is_primary BOOLEAN)
RETURNS TABLE (status TEXT, seq BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM 1 FROM users u WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'user', NULL::BIGINT;
        RETURN;
    END IF;
    -- Checked first so that breaking both uniqueness rules reports the per-user one.
    IF EXISTS (SELECT 1 FROM contact_channels c
               WHERE c.project_id = p_project AND c.user_id = p_user AND c.type = 'email'
                 AND c.value = p_value) THEN
        RETURN QUERY SELECT 'value_taken', NULL::BIGINT;
        RETURN;
    END IF;
    IF p_is_primary THEN
        UPDATE contact_channels c SET is_primary = FALSE
        WHERE c.project_id = p_project AND c.user_id = p_user AND c.is_primary AND c.id <> p_id;
    END IF;
    PERFORM pg_advisory_xact_lock_shared(1, cc_insert_lock(p_project));
    RETURN QUERY
    INSERT INTO contact_channels
        (project_id, user_id, id, type, value, used_for_auth, is_verified, is_primary)
    VALUES (p_project, p_user, p_id, 'email', p_value, p_used_for_auth, p_is_verified, p_is_primary)
    RETURNING 'ok', seq;
END $$;

-- ChannelChanges::apply (server/src/store/mod.rs) in PL/pgSQL: a NULL change keeps the field;
-- a new value must not be held by the user elsewhere; becoming primary demotes the other
-- primary; nothing is written when nothing changes. The conformance check `updates` and
-- `update_function_follows_the_rule` hold the two to the same answers.
CREATE FUNCTION cc_update_channel(
    p_project TEXT, p_user UUID, p_id UUID, p_value TEXT,
    p_used_for_auth BOOLEAN, p_is_verified BOOLEAN, p_is_primary BOOLEAN)
RETURNS TABLE (status TEXT, seq BIGINT, id UUID, user_id UUID, value TEXT,
               used_for_auth BOOLEAN, is_verified BOOLEAN, is_primary BOOLEAN)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    cur contact_channels;
    nxt contact_channels;
BEGIN
    PERFORM 1 FROM users u WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'user', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    SELECT * INTO cur FROM contact_channels c
    WHERE c.project_id = p_project AND c.user_id = p_user AND c.id = p_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'channel', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    nxt := cur;
    nxt.value := COALESCE(p_value, cur.value);
    nxt.used_for_auth := COALESCE(p_used_for_auth, cur.used_for_auth);
    nxt.is_verified := COALESCE(p_is_verified, cur.is_verified);
    nxt.is_primary := COALESCE(p_is_primary, cur.is_primary);
    IF nxt.value <> cur.value AND EXISTS (
        SELECT 1 FROM contact_channels c
        WHERE c.project_id = p_project AND c.user_id = p_user AND c.type = 'email'
          AND c.value = nxt.value AND c.id <> p_id) THEN
        RETURN QUERY SELECT 'value_taken', NULL::BIGINT, NULL::UUID, NULL::UUID, NULL::TEXT,
                            NULL::BOOLEAN, NULL::BOOLEAN, NULL::BOOLEAN;
        RETURN;
    END IF;
    IF nxt.is_primary AND NOT cur.is_primary THEN
        UPDATE contact_channels c SET is_primary = FALSE
        WHERE c.project_id = p_project AND c.user_id = p_user AND c.is_primary AND c.id <> p_id;
    END IF;
    IF (nxt.value, nxt.used_for_auth, nxt.is_verified, nxt.is_primary)
       IS DISTINCT FROM (cur.value, cur.used_for_auth, cur.is_verified, cur.is_primary) THEN
        -- Every column is set: PostgreSQL compares old and new values itself, so an unchanged
        -- indexed column does not stop a heap-only update.
        UPDATE contact_channels c
        SET value = nxt.value, used_for_auth = nxt.used_for_auth,
            is_verified = nxt.is_verified, is_primary = nxt.is_primary
        WHERE c.seq = cur.seq;
    END IF;
    RETURN QUERY SELECT 'ok', nxt.seq, nxt.id, nxt.user_id, nxt.value,
                        nxt.used_for_auth, nxt.is_verified, nxt.is_primary;
END $$;

CREATE FUNCTION cc_delete_channel(p_project TEXT, p_user UUID, p_id UUID)
RETURNS TEXT
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users u WHERE u.project_id = p_project AND u.id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'user';
    END IF;
    DELETE FROM contact_channels c
    WHERE c.project_id = p_project AND c.user_id = p_user AND c.id = p_id;
    IF NOT FOUND THEN
        RETURN 'channel';
    END IF;
    RETURN 'ok';
END $$;

-- A page of a list: waits for the project's inserts in flight, then reads with a snapshot taken
-- after they committed (each statement of a function takes its own). Every seq it can return is
-- then below any seq allocated later. The user's row joins as in the store's plain list, so a
-- missing user is no row and a user without channels one row of NULLs.
CREATE FUNCTION cc_list_page(
    p_project TEXT, p_user UUID, p_channel UUID, p_after BIGINT, p_limit BIGINT)
RETURNS TABLE (seq BIGINT, id UUID, user_id UUID, value TEXT,
               used_for_auth BOOLEAN, is_verified BOOLEAN, is_primary BOOLEAN)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
BEGIN
    PERFORM pg_advisory_xact_lock(1, cc_insert_lock(p_project));
    IF p_user IS NOT NULL THEN
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified, c.is_primary
        FROM users u
        LEFT JOIN contact_channels c
          ON c.project_id = u.project_id AND c.user_id = u.id
             AND (p_channel IS NULL OR c.id = p_channel) AND c.seq > p_after
        WHERE u.project_id = p_project AND u.id = p_user
        ORDER BY c.seq
        LIMIT p_limit;
    ELSIF p_channel IS NOT NULL THEN
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified, c.is_primary
        FROM contact_channels c
        WHERE c.project_id = p_project AND c.id = p_channel AND c.seq > p_after
        ORDER BY c.seq
        LIMIT p_limit;
    ELSE
        RETURN QUERY
        SELECT c.seq, c.id, c.user_id, c.value, c.used_for_auth, c.is_verified, c.is_primary
        FROM contact_channels c
        WHERE c.project_id = p_project AND c.seq > p_after
        ORDER BY c.seq
        LIMIT p_limit;
    END IF;
END $$;
