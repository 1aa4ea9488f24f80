-- The send limits count a channel's, a user's and a project's recent codes inside the write that
-- stores the next one; these indexes keep each count to the codes it reads.
CREATE INDEX verification_codes_by_channel
    ON verification_codes (project_id, channel_id, created_at_millis);
CREATE INDEX verification_codes_by_user
    ON verification_codes (project_id, user_id, created_at_millis);
CREATE INDEX verification_codes_by_time
    ON verification_codes (project_id, created_at_millis);
