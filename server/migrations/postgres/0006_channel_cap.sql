-- A cap on the channels of one user (`serve --max-channels-per-user`), checked by
-- cc_create_channel under the user's row lock, which every write for that user takes first: the
-- count cannot change between the check and the insert, on any number of instances. Over the
-- cap it answers the status 'limit'. Otherwise the function is that of migration 0004.
DROP FUNCTION cc_create_channel(TEXT, UUID, UUID, TEXT, BOOLEAN, BOOLEAN, BOOLEAN);

CREATE FUNCTION cc_create_channel(
    p_project TEXT, p_user UUID, p_id UUID, p_value TEXT,
    p_used_for_auth BOOLEAN, p_is_verified BOOLEAN, p_is_primary BOOLEAN, p_cap INTEGER)
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
    IF (SELECT count(*) FROM contact_channels c
        WHERE c.project_id = p_project AND c.user_id = p_user) >= p_cap THEN
        RETURN QUERY SELECT 'limit', NULL::BIGINT;
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
