-- Lists are in insertion order (seq). These indexes hand them over in that order, so a page of
-- a project's list, or one user's list, reads only its own rows and sorts nothing, however
-- large the project grows.
CREATE INDEX contact_channels_project_seq ON contact_channels (project_id, seq);
CREATE INDEX contact_channels_user_seq ON contact_channels (project_id, user_id, seq);
