-- The sweep deletes expired codes and refresh tokens in small batches; these indexes let each
-- batch find its rows without reading the whole table.
CREATE INDEX verification_codes_by_expiry ON verification_codes (expires_at_millis);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at_millis);
